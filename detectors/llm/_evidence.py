"""What claim checking found in one response (:class:`Evidence`) and the kinds of reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CATEGORY", "CONTENT", "NAME", "NAME_CONTRADICTED", "NEGATION", "NUMBER",
           "NUMBER_CONTRADICTED", "REASON_KINDS", "RELATION", "Evidence"]

#: The kinds of reasons, in the order they are listed (each reason starts with its kind).
REASON_KINDS = (
    "number contradicts context", "name contradicts context", "negation contradicts context",
    "category contradicts context", "relation not in context", "number not in context",
    "name not in context", "content not in context",
)  # fmt: skip
#: Indexes of :data:`REASON_KINDS`, for :meth:`Evidence.add_reason`.
(NUMBER_CONTRADICTED, NAME_CONTRADICTED, NEGATION, CATEGORY, RELATION, NUMBER, NAME,
 CONTENT) = range(len(REASON_KINDS))

@dataclass(slots=True)
class Evidence:
    """Counts of what one response asserts against its source (see the module docstring).

    ``content``/``supported``: content stems of non-question sentences, and how many of them
    occur in the source; ``pairs``/``supported_pairs`` the same for adjacent stem pairs;
    ``align``: mean over those sentences of the share of stems held by their aligned source
    sentence; ``weakest``: (support, sentence) of the least supported sentence.
    """

    context_words: int = 0
    context_sentences: int = 0
    context_name_share: float = 0.0
    prompt_turns: bool = False
    prompt_words: int = 0
    content: int = 0
    supported: int = 0
    in_context: int = 0
    pairs: int = 0
    supported_pairs: int = 0
    align_sum: float = 0.0
    sentences: int = 0
    names: int = 0
    names_absent: int = 0
    names_partial: int = 0
    names_contradicted: int = 0
    numbers: int = 0
    numbers_absent: int = 0
    numbers_contradicted: int = 0
    negations: int = 0
    corrections: int = 0
    relations: int = 0
    entity_claims: int = 0
    substitutions: int = 0
    fresh_entities: int = 0
    restated_entities: int = 0
    denials: int = 0
    categories: int = 0
    weakest: tuple[float, str] | None = None
    unsupported_numbers: list[str] = field(default_factory=list)
    unsupported_names: list[str] = field(default_factory=list)
    reasons: list[tuple[int, str]] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int, float, int, bool]:
        """The request's shape, as :func:`detectors.llm._model.kind_mix` takes it: context
        words, context sentences, share of context words in names, prompt words, whether the
        prompt is a chat transcript."""
        return (self.context_words, self.context_sentences, self.context_name_share,
                self.prompt_words, self.prompt_turns)

    @property
    def support(self) -> float | None:
        return self.supported / self.content if self.content else None

    @property
    def pair_support(self) -> float | None:
        if not self.pairs:
            return self.support
        return self.supported_pairs / self.pairs

    @property
    def align(self) -> float | None:
        return self.align_sum / self.sentences if self.sentences else None

    def add_reason(self, kind: int, detail: str) -> None:
        text = f"{REASON_KINDS[kind]}: {detail}"
        if (kind, text) not in self.reasons:
            self.reasons.append((kind, text))

    def sorted_reasons(self) -> list[str]:
        """Reasons, strongest kind first (contradictions before absences)."""
        return [text for _, text in sorted(self.reasons, key=lambda r: r[0])]
