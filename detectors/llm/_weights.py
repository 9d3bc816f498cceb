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
        2.0382, -4.2355, 0.0000, 0.0000, 1.5338, 0.4515, 1.6446, 4.8080,
        2.1271, 0.8424, 4.2200, 1.8660, 0.0000, 0.0000, 0.0000, 1.6653,
    ),
    (  # conversation
        -1.6838, 1.9419, -0.1098, -0.3542, 0.6445, 0.8497, 0.0000, 2.2391,
        0.9878, 2.5587, 0.5285, 0.3369, -1.0805, -1.0487, 0.2138, 0.5396,
    ),
    (  # document
        5.4744, -2.5821, 3.1785, -8.7941, 0.0000, 0.0000, 0.0000, 0.0000,
        0.0975, 1.2895, 0.0548, 0.0000, -6.4528, 4.9142, 0.0000, 0.9590,
    ),
)
