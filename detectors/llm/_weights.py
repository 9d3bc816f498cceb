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
        2.0861, 5.4268, -10.0381, -2.6467, 1.0724, 0.2541, 3.1114, 4.5243,
        1.5179, 0.0652, 2.7052, 1.4010, -6.3258, 9.3005, -1.3801, 0.9001,
    ),
    (  # conversation
        -1.8770, 1.7706, 0.4455, -0.2827, 0.7882, 0.9116, 0.0885, 2.4354,
        0.9988, 2.6513, 0.5683, 0.3484, -0.9664, -1.3260, 0.2529, 0.6021,
    ),
    (  # document
        7.2523, -3.7930, 3.6575, -9.0324, -1.1785, -0.9065, -0.7802, -0.2529,
        0.1144, 1.2449, 0.1431, -0.0316, -6.0019, 3.6587, -1.1038, 1.0281,
    ),
)
