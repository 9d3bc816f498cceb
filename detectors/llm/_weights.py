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
        4.2899, 5.4117, -10.0555, -2.5907, 1.0726, 0.2699, 3.1247, 4.5022,
        1.5157, 0.0964, 2.6379, 1.4059, -6.3592, 9.3039, -1.4345, 0.8983,
    ),
    (  # conversation
        -2.1135, 1.6260, 0.4294, -0.3590, 0.8128, 0.9447, 0.0967, 2.4601,
        0.9932, 2.6532, 0.5651, 0.3647, -0.9787, -1.1151, 0.2644, 0.6085,
    ),
    (  # document
        7.1778, -3.7667, 3.6850, -9.0876, -1.1610, -0.9125, -0.7782, -0.2450,
        0.1161, 1.2547, 0.1229, -0.0304, -5.9747, 3.6469, -1.1412, 1.0539,
    ),
)
