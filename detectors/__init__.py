"""Pure algorithms: drift, accuracy, performance estimation, LLM tokens/cost/groundedness,
safety, budgets, rules. No I/O, no clock, no environment; see the subpackages."""

__all__: list[str] = []
