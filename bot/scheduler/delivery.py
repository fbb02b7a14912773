"""Moved to bot.channels.delivery (the sending interface belongs to the channels); kept so older
imports keep working."""

from bot.channels.delivery import BoolSender, Delivery, LegacySender, Outcome, Sender, as_sender

__all__ = ["BoolSender", "Delivery", "LegacySender", "Outcome", "Sender", "as_sender"]
