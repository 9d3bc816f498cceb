"""Fitted constants of the groundedness model. Generated: do not edit.

Written by ``python -m benchmarks.calibrate_groundedness --write`` from HaluEval's
development split (L2 1; grounded examples flagged per kind: 8%, 10%, 6%).
One row per kind of ``detectors.llm._model.KINDS``: intercept, then one
weight per feature of ``detectors.llm._model.FEATURES``:
support,
pair_support,
alignment,
name_unsupported,
name_contradicted,
number_unsupported,
number_contradicted,
negation_contradicted,
correction,
relation_unsupported,
entity_claim,
context_support,
weakest_support,
names_unsupported,
substitution.
"""

WEIGHTS = (
    (  # answer
        2.1927, -4.3900, 0.0000, 0.0000, 1.9118, 0.5066, 1.6858, 4.8697,
        2.1293, 0.8380, 4.2020, 1.8392, 0.0000, 0.0000, -2.3537, 1.6474,
    ),
    (  # conversation
        -1.6759, 1.9686, -0.1113, -0.3567, 0.6320, 0.8486, -0.0189, 2.2372,
        0.9863, 2.5599, 0.5276, 0.3383, -1.0767, -1.0690, 0.2640, 0.5380,
    ),
    (  # document
        7.2906, -2.8826, 3.2507, -8.8573, -1.1772, -0.9125, -1.1917, -0.3929,
        0.1159, 1.2684, 0.1439, -0.0998, -6.8220, 3.7158, -1.0889, 1.0214,
    ),
)
