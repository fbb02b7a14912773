"""The Telegram channel: Update -> Incoming, Reply -> Bot API calls. Thin: no decisions, no text.

Modules mirror the console channel: `adapter` (Application wiring, sending, the outbox sender,
`start_bot`), `render` (Reply -> message parts and inline keyboards) and `inbound`
(Update -> Incoming).
"""
