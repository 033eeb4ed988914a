"""The six tone labels and what they mean."""

from __future__ import annotations

from typing import Final

CONTEMPT: Final = "contempt"
FRUSTRATION: Final = "frustration"
CONSTRUCTIVE: Final = "constructive"
POSITIVE: Final = "positive"
NEUTRAL: Final = "neutral"
NOT_CUSTOMER: Final = "not_customer"

# Order matters: it is the order of the head's outputs.
LABELS: Final[tuple[str, ...]] = (
    CONTEMPT,
    FRUSTRATION,
    CONSTRUCTIVE,
    POSITIVE,
    NEUTRAL,
    NOT_CUSTOMER,
)

DESCRIPTIONS: Final[dict[str, str]] = {
    CONTEMPT: "ridicule, mockery, insults, sneering sarcasm or gloating aimed at customers",
    FRUSTRATION: "venting about a customer situation without insulting the customer",
    CONSTRUCTIVE: "criticism or problem solving about a customer, however blunt",
    POSITIVE: "appreciation, empathy or praise for customers",
    NEUTRAL: "factual mention of customers",
    NOT_CUSTOMER: "not about customers at all",
}


def is_about_customer(label: str) -> bool:
    """Tell whether a label means the message is about a customer."""
    return label != NOT_CUSTOMER
