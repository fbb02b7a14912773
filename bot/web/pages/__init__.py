"""The console's page modules, in the order the navigation shows them. Each module in
bot/web/pages/ defines:

    NAV = ("/admin/<path>", "<texts key of the nav label>")   # or None: not in the navigation
    def routes() -> list[aiohttp.web.RouteDef]: ...            # paths under /admin/
    def allowed(actor) -> bool: ...                            # optional: show in nav (default: every admin)

Add ONE line for your module below (its name, without the package)."""

PAGES: tuple[str, ...] = (
    "overview",
    "roster",
    "bank",
    "exams",
    "notices",
    "gaps",
    "rank",
    "audit",
    "flags",
)
