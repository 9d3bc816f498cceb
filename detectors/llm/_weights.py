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
        5.0245, -7.2317, 0.0000, 0.0000, 1.9155, 0.1002, 1.7561, 5.8189,
        4.4360, 1.2622, 5.8363, 0.0000, 0.0000, 0.0000, 0.0000, 3.8881,
        0.5058, 2.9714, 0.7066, 0.0000, -0.6714,
    ),
    (  # conversation
        -1.9178, 1.4703, 0.0244, -1.0749, 0.7842, 0.7109, 0.0176, 3.3915,
        0.5610, 2.3020, 0.7733, 0.2381, -0.4749, -0.2343, 0.1841, 0.4659,
        -0.8843, 0.8519, 1.1176, 0.8304, 0.0000,
    ),
    (  # document
        5.3193, -3.2798, 2.5248, -8.8175, 0.0000, 0.0000, 0.0000, 0.0000,
        0.1430, 1.2944, 0.0211, 0.1322, -5.2983, 4.9281, 0.0000, 0.9377,
        -0.0058, 1.5045, 0.0000, 0.2752, 1.8063,
    ),
    (  # snippet
        -1.9136, 1.8360, -1.4733, -3.0033, 0.7707, 1.1523, 0.1481, 3.3755,
        0.8996, 2.5452, 1.2064, 0.5673, 1.8360, -0.3574, 0.3348, 0.1790,
        0.0000, 0.0000, 1.2379, 0.9030, 0.0000,
    ),
)
