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
        2.1912, -4.3885, 0.0000, 0.0000, 1.9125, 0.5057, 1.6969, 4.8788,
        2.1318, 0.8361, 4.2159, 1.8410, 0.0000, 0.0000, -2.3440, 1.6543,
    ),
    (  # conversation
        -1.6747, 1.9680, -0.1105, -0.3561, 0.6321, 0.8496, -0.0197, 2.2339,
        0.9854, 2.5605, 0.5252, 0.3385, -1.0791, -1.0680, 0.2636, 0.5364,
    ),
    (  # document
        7.2904, -2.8831, 3.2506, -8.8577, -1.1772, -0.9125, -1.1918, -0.3929,
        0.1159, 1.2684, 0.1439, -0.0997, -6.8209, 3.7155, -1.0890, 1.0215,
    ),
)
