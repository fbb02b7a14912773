"""The platform-neutral core: ChatService.handle(Incoming) -> list[Reply]."""
