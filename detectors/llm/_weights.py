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
        2.1924, -4.3897, 0.0000, 0.0000, 1.8867, 0.4987, 3.4486, 4.1170,
        2.1255, 0.8202, 4.1964, 1.8364, 0.0000, 0.0000, -2.3775, 1.6432,
    ),
    (  # conversation
        -1.8499, 2.1000, -0.1889, -0.3838, 0.7344, 0.8972, 0.0861, 2.4646,
        0.9834, 2.6123, 0.5506, 0.3371, -0.9867, -0.9831, 0.2876, 0.5651,
    ),
    (  # document
        7.2650, -2.8649, 3.2373, -8.8669, -1.1813, -0.9138, -0.7751, -0.2565,
        0.1118, 1.2527, 0.1459, -0.0921, -6.8432, 3.7776, -1.0939, 1.0231,
    ),
)
