"""Fitted constants of the groundedness model. Generated: do not edit.

Written by ``python -m benchmarks.calibrate_groundedness --write`` from HaluEval's
development split (L2 1; grounded examples flagged per kind: 8%, 12%, 6%, 12%).
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
        2.0505, -4.2578, 0.0000, 0.0000, 1.7486, 0.3884, 1.2295, 5.8039,
        4.2061, 0.9155, 5.1318, 2.7919, 0.0000, 0.0000, 0.0000, 1.8620,
        0.2809, 2.6595, 0.1154, 0.0000, -0.4591,
    ),
    (  # conversation
        -1.9309, 1.4383, -0.1450, -0.9307, 0.7578, 0.6599, 0.0063, 2.0636,
        0.6055, 2.1917, 0.9126, 0.2063, -0.4661, -0.1728, 0.2086, 0.5157,
        -0.9161, 0.8497, 1.0907, 0.7871, -0.0000,
    ),
    (  # document
        5.3546, -3.3432, 2.4229, -8.6411, 0.0000, 0.0000, 0.0000, 0.0000,
        0.1372, 1.3180, 0.1390, 0.0000, -5.3932, 4.9858, 0.0000, 1.0019,
        0.0258, 1.5271, 0.0000, 1.0289, 1.8906,
    ),
    (  # snippet
        -1.6659, 1.8570, -1.5700, -3.0439, 0.7686, 1.1169, 0.1493, 3.3008,
        0.9224, 2.4443, 1.1797, 0.5146, 1.8570, -0.3091, 0.3340, 0.2280,
        0.0000, 0.0000, 1.2276, 0.8416, 0.0000,
    ),
)
