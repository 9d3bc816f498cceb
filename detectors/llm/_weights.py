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
        3.6703, -6.1185, 0.0000, 0.0000, 1.5117, 0.0551, 1.3755, 5.6316,
        4.3573, 1.4024, 5.6362, 0.0000, 0.0000, 0.0000, 0.0000, 3.8028,
        0.0000, 0.0000, 0.8776, 0.0925, 0.2410,
    ),
    (  # conversation
        -2.0720, 1.3072, 0.6264, -0.9904, 0.8133, 0.7633, 0.0321, 3.5200,
        0.4673, 2.3793, 0.4908, 0.3158, -0.4430, -0.6354, 0.2225, 0.3974,
        -1.0128, 0.7768, 1.2293, 0.9025, -0.0000,
    ),
    (  # document
        5.3225, -3.0511, 2.4681, -8.8162, 0.0000, 0.0000, 0.0000, 0.0000,
        0.1423, 1.2963, 0.0217, 0.1659, -5.5383, 4.9548, 0.0000, 0.9199,
        0.0000, 0.0000, 0.0000, 0.2744, 2.3487,
    ),
    (  # snippet
        -1.8719, 1.8535, -1.5002, -3.0397, 0.7728, 1.1506, 0.1487, 3.3582,
        0.9001, 2.5404, 1.2046, 0.5712, 1.8535, -0.3535, 0.3309, 0.1791,
        0.0000, 0.0000, 1.2344, 0.8989, 0.0000,
    ),
)
