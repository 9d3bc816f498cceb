"""Fitted constants of the groundedness model. Generated: do not edit.

Written by ``python -m benchmarks.calibrate_groundedness --write`` from HaluEval's
development split (L2 1; grounded examples flagged per kind: 6%, 12%, 6%, 9%).
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
substitution,
fresh_entity,
restated_entity,
denial,
category_contradicted,
has_prompt.
"""

WEIGHTS = (
    (  # answer
        5.0227, -7.2299, 0.0000, 0.0000, 1.9152, 0.1002, 1.7557, 5.8181,
        4.4353, 1.2620, 5.8353, 0.0000, 0.0000, 0.0000, 0.0000, 3.8876,
        0.5066, 2.9706, 0.7065, 0.0000, -0.6716,
    ),
    (  # conversation
        -1.9184, 1.4696, 0.0249, -1.0745, 0.7842, 0.7108, 0.0176, 3.3912,
        0.5609, 2.3020, 0.7732, 0.2379, -0.4746, -0.2342, 0.1842, 0.4659,
        -0.8840, 0.8518, 1.1175, 0.8304, 0.0000,
    ),
    (  # document
        5.3195, -3.2797, 2.5281, -8.8225, 0.0000, 0.0000, 0.0000, 0.0000,
        0.1433, 1.2945, 0.0211, 0.1318, -5.2971, 4.9288, 0.0000, 0.9377,
        -0.0095, 1.5009, 0.0000, 0.2754, 1.8122,
    ),
    (  # snippet
        -1.9133, 1.8355, -1.4721, -3.0024, 0.7707, 1.1522, 0.1481, 3.3740,
        0.8995, 2.5452, 1.2063, 0.5670, 1.8355, -0.3572, 0.3348, 0.1789,
        0.0000, 0.0000, 1.2377, 0.9030, 0.0000,
    ),
)
