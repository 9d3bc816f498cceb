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
        2.0060, -4.2132, 0.0000, 0.0000, 1.5597, 0.4424, 1.6527, 4.8122,
        3.7191, 0.8374, 4.6131, 1.8558, 0.0000, 0.0000, 0.0000, 1.6686,
    ),
    (  # conversation
        -1.6796, 1.9461, -0.0764, -0.3351, 0.6491, 0.8415, 0.0000, 2.2326,
        0.9912, 2.5609, 0.5099, 0.3333, -1.1024, -1.0654, 0.2118, 0.5521,
    ),
    (  # document
        5.4757, -2.6156, 3.2039, -8.8254, 0.0000, 0.0000, 0.0000, 0.0000,
        0.1329, 1.2890, 0.0507, 0.0000, -6.4153, 4.9143, 0.0000, 0.9606,
    ),
)
