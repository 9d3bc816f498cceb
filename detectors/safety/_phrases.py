"""Refusals in responses and prompt-injection markers in prompts: phrase patterns.

Both lower-case their input once and normalise curly apostrophes. A refusal is looked for in
the first ``REFUSAL_HEAD`` characters of a response (where models put them); injection markers
anywhere in the prompt, after a cheap keyword gate. Hard negatives the patterns are built to
pass over: "I can't wait to help", "I can't help noticing", "I'm sorry to hear that, here is
...", "how do I ignore files in git", "what is a system prompt", "how do I jailbreak my phone".
"""

from __future__ import annotations

import re

__all__ = ["is_refusal", "has_injection", "REFUSAL_HEAD"]

REFUSAL_HEAD = 400
_CANT = r"(?:can't|cannot|can not|won't|will not|am not able to|'m not able to|am unable to|" \
        r"'m unable to|are unable to|'re unable to|am not allowed to|'m not allowed to|" \
        r"am not permitted to|'m not permitted to|must decline to|have to decline to)"
_ACTS = r"(?:help(?! (?:noticing|thinking|feeling|wondering|but|laughing))|assist|provide|" \
        r"comply|fulfil+|do that|do this|answer|share|support|give|create|generate|write|" \
        r"engage|discuss|continue|produce|offer)"
# Every refusal pattern holds one of these: texts without any skip the regex.
_REFUSAL_GATE = ("can't", "cannot", "can not", "won't", "will not", "unable", "not able",
                 "not allowed", "not permitted", "decline", "refuse", "afraid",
                 "not something", "as an ai")
_REFUSAL = re.compile(
    r"\b(?:i|we)\s*" + _CANT + r"\s+(?:(?:really|currently|actually|directly|personally|"
    r"possibly|legally|ethically|safely)\s+)?" + _ACTS + r"\b"
    r"|\b(?:i|we)(?:'m| am|'re| are)\s+(?:really\s+|very\s+|so\s+)?sorry,?\s+(?:but\s+)?"
    r"(?:i|we)\s+(?:can't|cannot|can not|won't|will not|am unable|'m unable|are unable)\b"
    r"|\bi\s+apologi[sz]e,?\s+but\s+i\s+(?:can't|cannot|can not|won't|am unable|'m unable)\b"
    r"|\bi'm\s+afraid\s+i\s+(?:can't|cannot|can not|won't)\s+(?!wait)"
    r"|\bas\s+an\s+ai(?:\s+(?:language\s+model|assistant|model))?,?\s+i\s+"
    r"(?:can't|cannot|don't|do not|am not able|am unable)\b"
    r"|\b(?:that's|that is|this is)\s+not\s+something\s+i\s+(?:can|am able to)\s+"
    r"(?:help|assist)"
    r"|\bi\s+(?:must|have to)\s+(?:respectfully\s+)?(?:decline|refuse)\b"
    r"|\bi\s+(?:won't|will not)\s+be\s+able\s+to\s+" + _ACTS + r"\b")

_INJECTION_GATE = ("ignore", "disregard", "forget", "override", "system prompt", "mode",
                   "do anything now", "<|im_start|>", "<|system|>", "pretend", "act as",
                   "bypass", "reveal", "system instructions", "new system", "jailbroken",
                   "unfiltered", "uncensored", "initial prompt", "your instructions",
                   "instructions above", "hidden instructions", "prompt", "you are now")
_PRIOR = r"(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system|" \
         r"developer)"
_ORDERS = r"(?:instructions?|prompts?|rules|directions|directives|guidelines|messages?|" \
          r"context|constraints)"
_NO_RULES = r"(?:no|without|free of|not bound by|free from)\s+(?:any\s+)?(?:rules|" \
            r"restrictions|limits|limitations|filters|guidelines|censorship|content policy)"
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|of\s+|everything\s+)*"
    r"(?:(?:your|the|my)\s+)?" + _PRIOR + r"\s+" + _ORDERS
    + r"|\b(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+)?(?:(?:you\s+(?:were|have\s+"
    r"been)\s+told)|your\s+(?:instructions|rules|guidelines|programming|training))"
    r"|\byou\s+are\s+now\s+(?:dan\b|in\s+(?:developer|god|jailbreak|unrestricted|dan)\s+mode|"
    r"an?\s+(?:unrestricted|unfiltered|uncensored|evil|jailbroken))"
    r"|\b(?:developer|god|jailbreak|dan)\s+mode\s+(?:is\s+)?(?:enabled|on|activated)"
    r"|\bdo\s+anything\s+now\b"
    r"|\b(?:reveal|print|show|repeat|output|display|tell\s+me|leak|dump|give\s+me)\s+(?:me\s+)?"
    r"(?:your|the\s+(?:hidden|secret|original|initial|full))\s+(?:full\s+|entire\s+|original\s+|"
    r"hidden\s+|secret\s+|initial\s+)*(?:system\s+prompt|system\s+message|system\s+"
    r"instructions|hidden\s+instructions|initial\s+prompt|pre-?prompt|instructions\s+above)"
    r"|\b(?:new|updated)\s+system\s+(?:prompt|instructions?)\b"
    r"|\bpretend\s+(?:that\s+)?(?:you\s+are|you're|to\s+be)\b[^.\n]{0,80}?\b" + _NO_RULES
    + r"|\bact\s+as\b[^.\n]{0,80}?\b" + _NO_RULES
    + r"|\b(?:bypass|disable|ignore|turn\s+off|override)\s+(?:all\s+)?(?:of\s+)?your\s+"
    r"(?:safety|content|moderation|ethical|ethics)\s+(?:filters?|guidelines|guardrails|"
    r"restrictions|policies|rules|settings)")
_ROLE_MARKER = re.compile(r"<\|im_start\|>\s*system|<\|system\|>")


def _normal(text: str) -> str:
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def is_refusal(response: str) -> bool:
    """True when the response opens with a refusal ("I can't help with that", "I'm sorry, but
    I cannot ...", "As an AI language model, I can't ...", "I must decline ...")."""
    head = _normal(response[:REFUSAL_HEAD])
    if not any(word in head for word in _REFUSAL_GATE):
        return False
    return _REFUSAL.search(head) is not None


def has_injection(prompt: str) -> bool:
    """True when the prompt carries prompt-injection markers ("ignore all previous
    instructions", "you are now DAN", "reveal your system prompt", a ChatML system turn opened
    inside the prompt, "pretend you have no rules", ...)."""
    low = _normal(prompt)
    if not any(word in low for word in _INJECTION_GATE):
        return False
    # A system turn at the very start is the app's own template, not an injection.
    return _INJECTION.search(low) is not None or \
        _ROLE_MARKER.search(low.lstrip(), 1) is not None
