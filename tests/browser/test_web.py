"""The web front end (web/) in headless Chromium, against a running platform.

Locators go by role and accessible name wherever the page offers one, so a
control these tests cannot find by its label is also one a screen reader
cannot name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from oddsmith import money
from tests.conftest import ON_CI
from tests.harness import ADMIN_PASSWORD, Platform

try:
    from playwright.sync_api import Locator, Page, WebSocketRoute, expect
except ImportError:  # pragma: no cover - depends on the environment
    if ON_CI:
        raise
    pytest.skip("Playwright is not installed", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

    from tests.browser.conftest import Pages

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(150)]

PASSWORD = "correct horse battery"
# Sorts before the imported league, so the tests' matches head the board.
LEAGUE = "Club Friendlies"
PHONE: ViewportSize = {"width": 390, "height": 844}
RED_POCKETS = {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}


# -- the platform, through its API --------------------------------------------


def euros(cents: int) -> str:
    """Format cents as the page does: €1,234.50."""
    return f"€{cents // 100:,}.{cents % 100:02d}"


def set_balance(platform: Platform, username: str, cents: int) -> None:
    admin = platform.admin_token()
    found = platform.call("GET", f"/api/admin/users?username={username}", admin)
    (user,) = [u for u in found.json()["users"] if u["username"] == username]
    resp = platform.call(
        "PUT",
        f"/api/admin/users/{user['id']}/balance",
        admin,
        {"balance": cents, "reason": "browser test deposit"},
    )
    assert resp.status_code == 200, resp.text


def new_player(platform: Platform, balance: int = 0) -> str:
    """Register a player with a fresh name and ``balance`` cents; return the name."""
    username = f"p{uuid.uuid4().hex[:10]}"
    platform.register(username, PASSWORD)
    if balance:
        set_balance(platform, username, balance)
    return username


def create_match(
    platform: Platform,
    home: str,
    away: str,
    opening_odds: list[str] | None = None,
    league: str = LEAGUE,
) -> dict[str, Any]:
    """Create a football match kicking off in two days; return the Event."""
    kick_off = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    body: dict[str, Any] = {
        "kind": "football",
        "home": home,
        "away": away,
        "league": league,
        "starts_at": (kick_off + dt.timedelta(days=2)).isoformat(),
    }
    if opening_odds:
        body["opening_odds"] = opening_odds
    resp = platform.call("POST", "/api/admin/events", platform.admin_token(), body)
    assert resp.status_code == 201, resp.text
    event: dict[str, Any] = resp.json()
    return event


def current(platform: Platform, event_id: int, code: str) -> dict[str, Any]:
    """Return a match result selection as the API shows it now."""
    event = platform.call("GET", f"/api/events/{event_id}").json()
    return next(s for s in event["markets"][0]["selections"] if s["code"] == code)


def my_bets(
    platform: Platform, username: str, password: str = PASSWORD
) -> list[dict[str, Any]]:
    token = platform.login(username, password)
    bets: list[dict[str, Any]] = platform.call("GET", "/api/me/bets", token).json()[
        "bets"
    ]
    return bets


# -- the page -------------------------------------------------------------------


def go(page: Page, section: str) -> None:
    """Follow a link of the main navigation: Sports, Roulette, Account or Admin."""
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name=section, exact=True).click()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the account page's form and wait for the balance to show."""
    page.goto("/#/account")
    form = page.get_by_role("form", name="Log in")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Log in").click()
    expect(balance_link(page, username)).to_be_visible()


def balance_link(page: Page, username: str, cents: int | None = None) -> Locator:
    """The header's balance pill, with exactly this balance when one is given."""
    name: str | re.Pattern[str] = (
        re.compile(rf"^{re.escape(username)}, balance ")
        if cents is None
        else f"{username}, balance {euros(cents)}"
    )
    return page.get_by_role("banner").get_by_role("link", name=name, exact=True)


def selection(page: Page, event: dict[str, Any], name: str) -> Locator:
    """The odds button of one selection in an event's match result market."""
    market = page.get_by_role(
        "group", name=f"Match result, {event['name']}", exact=True
    )
    return market.get_by_role("button", name=re.compile(rf"^{re.escape(name)} at "))


def bet_slip(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Bet slip")


def place(page: Page, stake: str, cents: int) -> None:
    """Type a stake into the slip, press Place and wait for the receipt."""
    slip = bet_slip(page)
    slip.get_by_label("Stake").fill(stake)
    slip.get_by_role("button", name=f"Place bet {euros(cents)}").click()
    expect(slip.get_by_text("Bet placed")).to_be_visible()


def open_console(page: Page, section: str) -> None:
    """Open one section of the admin console from the main navigation."""
    go(page, "Admin")
    tabs = page.get_by_role("navigation", name="Admin sections")
    tabs.get_by_role("link", name=section, exact=True).click()


def manage(admin: Page, event: dict[str, Any]) -> None:
    """Find an event in the console's list and open its details."""
    open_console(admin, "Events")
    admin.get_by_label("Search").fill(event["name"])
    row = admin.get_by_role("row").filter(has_text=event["name"])
    row.get_by_role("button", name="Manage").click()
    expect(admin.get_by_role("heading", name=event["name"], exact=True)).to_be_visible()


def tab_to(page: Page, target: Locator, limit: int) -> None:
    """Press Tab until ``target`` holds the focus; fail after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


# -- the tests --------------------------------------------------------------------


def test_register_log_in_get_funded_and_bet(platform: Platform, pages: Pages) -> None:
    """A visitor registers and logs in on the page, the admin console funds them, and a bet lowers the balance they see."""
    match = create_match(platform, "Riverside Rovers", "Harbour Town")

    page = pages.open("player", "/#/account")
    register = page.get_by_role("form", name="Create an account")
    # The longest name and the shortest password the form lets through,
    # which the server must accept.
    name_field = register.get_by_label("Username")
    password_field = register.get_by_label("Password")
    longest = int(name_field.get_attribute("maxlength") or 0)
    shortest = int(password_field.get_attribute("minlength") or 0)
    username = f"p{uuid.uuid4().hex}"[:longest]
    password = "horse battery staple"[:shortest]
    # A name the server would refuse is held back by the form itself.
    name_field.fill("two words")
    assert name_field.evaluate("node => node.validity.patternMismatch")
    name_field.fill(username)
    password_field.fill(password)
    register.get_by_role("button", name="Create account").click()
    expect(balance_link(page, username, 0)).to_be_visible()

    # Registering signed the visitor in; out and back in through the login form.
    page.get_by_role("button", name="Log out").click()
    expect(
        page.get_by_role("banner").get_by_role("link", name="Log in")
    ).to_be_visible()
    log_in(page, username, password)

    admin = pages.open("admin")
    log_in(admin, "admin", ADMIN_PASSWORD)
    open_console(admin, "Players")
    admin.get_by_label("Find a player").fill(username)
    admin.get_by_role("button", name="Search", exact=True).click()
    admin.get_by_label(f"New balance for {username}").fill("100.00")
    admin.get_by_label(f"Reason for changing {username}'s balance").fill("Welcome")
    admin.get_by_role("button", name="Set balance").click()
    expect(admin.get_by_role("row").filter(has_text=username)).to_contain_text(
        "€100.00"
    )
    # The deposit reaches the open page over its WebSocket.
    expect(balance_link(page, username, 10_000)).to_be_visible()

    go(page, "Sports")
    selection(page, match, "Riverside Rovers").click()
    place(page, "12.50", 1_250)
    expect(balance_link(page, username, 8_750)).to_be_visible()
    bets = my_bets(platform, username, password)
    assert [(b["selection_name"], b["stake"]) for b in bets] == [
        ("Riverside Rovers", 1_250)
    ]


def test_deposit_reaches_an_open_page_live(platform: Platform, pages: Pages) -> None:
    """A balance set by the admin reaches the player's open page without a reload."""
    username = new_player(platform)
    page = pages.new("player")
    with page.expect_websocket() as opened:
        page.goto("/#/account")
    # Wait until the socket speaks for the player, or nothing could reach it.
    with opened.value.expect_event("framereceived", lambda f: "auth_ok" in f):
        log_in(page, username)
    set_balance(platform, username, 2_500)
    # A pushed message takes milliseconds; five seconds is plenty.
    expect(balance_link(page, username, 2_500)).to_be_visible(timeout=5_000)


def test_a_bet_elsewhere_moves_the_odds_on_an_open_page(
    platform: Platform, pages: Pages
) -> None:
    """A bet placed in a second browser moves the odds on the first page, and its slip offers the new odds, without a reload."""
    match = create_match(platform, "Northgate United", "Castle Park")
    home = match["markets"][0]["selections"][0]
    watcher_name = new_player(platform, 50_000)
    bettor_name = new_player(platform, 50_000)

    watcher = pages.open("watcher")
    log_in(watcher, watcher_name)
    go(watcher, "Sports")
    watched = selection(watcher, match, "Northgate United")
    expect(watched).to_have_accessible_name(
        f"Northgate United at {home['odds']}, maximum stake {euros(home['max_stake'])}"
    )
    watched.click()
    bet_slip(watcher).get_by_label("Stake").fill("10")
    watcher.evaluate("window.notReloaded = true")

    bettor = pages.open("bettor")
    log_in(bettor, bettor_name)
    go(bettor, "Sports")
    selection(bettor, match, "Northgate United").click()
    place(bettor, "400", 40_000)

    moved = current(platform, match["id"], "home")
    assert money.parse_odds(moved["odds"]) < money.parse_odds(home["odds"])
    expect(watched).to_have_accessible_name(
        f"Northgate United at {moved['odds']}, "
        f"maximum stake {euros(moved['max_stake'])}"
    )
    slip = bet_slip(watcher)
    expect(slip.get_by_text(f"Odds are now {moved['odds']}")).to_be_visible()
    expect(slip.get_by_role("button", name=f"Take {moved['odds']}")).to_be_visible()
    assert watcher.evaluate("window.notReloaded") is True
    pages.shot(watcher, "events")


def hold_back_odds(route: WebSocketRoute) -> None:
    """Relay /ws both ways except event updates, as if the feed lagged behind."""
    server = route.connect_to_server()

    def relay(message: str | bytes) -> None:
        if json.loads(message).get("type") != "event":
            route.send(message)

    server.on_message(relay)


def test_stake_over_the_maximum_is_refused_in_words(
    platform: Platform, pages: Pages
) -> None:
    """A stake above a maximum that fell unseen by the page is refused with a sentence naming the new maximum, and the slip then holds such a stake back."""
    match = create_match(
        platform, "Millbrook Athletic", "Eastfield City", ["1.20", "8.00", "15.00"]
    )
    outsider = match["markets"][0]["selections"][2]
    username = new_player(platform, 100_000)
    page = pages.new("player")
    page.route_web_socket(re.compile(r"/ws$"), hold_back_odds)
    log_in(page, username)
    go(page, "Sports")
    selection(page, match, "Eastfield City").click()
    slip = bet_slip(page)
    stake = slip.get_by_label("Stake")
    expect(stake).to_have_accessible_description(
        f"Maximum stake {euros(outsider['max_stake'])}, "
        "limited by exposure on Eastfield City."
    )

    # Another player backs the outsider: its maximum falls below 200.00.
    rival = new_player(platform, 100_000)
    backed = platform.place(
        platform.login(rival, PASSWORD),
        match["id"],
        outsider["id"],
        30_000,
        outsider["odds"],
        policy="any",
    )
    assert backed.status_code == 201, backed.text
    fallen = current(platform, match["id"], "away")["max_stake"]
    assert fallen < 20_000 < outsider["max_stake"]

    # At these odds or better the server would refuse the fallen odds first.
    slip.get_by_label("Any odds").check()
    stake.fill("200")
    slip.get_by_role("button", name="Place bet €200.00").click()
    expect(slip.get_by_role("alert")).to_have_text(
        "Your stake is over the maximum on Eastfield City, "
        f"which is {euros(fallen)} right now."
    )
    # The refusal carried the new maximum: the slip now refuses by itself.
    expect(stake).to_have_accessible_description(
        re.compile(rf"^Above the maximum stake of {re.escape(euros(fallen))}\. ")
    )
    expect(slip.get_by_role("button", name="Place bet €200.00")).to_be_disabled()
    expect(balance_link(page, username, 100_000)).to_be_visible()
    assert my_bets(platform, username) == []


def test_admin_settles_and_the_winner_sees_the_payout(
    platform: Platform, pages: Pages
) -> None:
    """The admin closes and settles a match in the console, and the winner's open page shows the payout in the balance and the bet as won."""
    match = create_match(platform, "Lakeside Wanderers", "Old Town Albion")
    home = match["markets"][0]["selections"][0]
    username = new_player(platform, 10_000)
    payout = money.payout(2_000, money.parse_odds(home["odds"]))

    page = pages.open("player")
    log_in(page, username)
    go(page, "Sports")
    selection(page, match, "Lakeside Wanderers").click()
    place(page, "20", 2_000)
    go(page, "Account")
    bet = page.get_by_role("row").filter(has_text=match["name"])
    expect(bet).to_contain_text(f"{euros(payout)} if it wins")

    admin = pages.open("admin", accept_dialogs=True)
    log_in(admin, "admin", ADMIN_PASSWORD)
    manage(admin, match)
    admin.get_by_role("button", name="Close betting").click()
    admin.get_by_label("Winning outcome").select_option(label="Lakeside Wanderers")
    admin.get_by_role("button", name="Settle", exact=True).click()
    expect(admin.get_by_text("Result: Lakeside Wanderers")).to_be_visible()

    expect(balance_link(page, username, 10_000 - 2_000 + payout)).to_be_visible()
    # Settling pushes the balance but not the bet (see the expected failure
    # below): the bet shows as won once the account page loads it again.
    go(page, "Sports")
    go(page, "Account")
    expect(bet.get_by_role("cell").nth(5)).to_have_text("Won")
    expect(bet.get_by_role("cell").nth(6)).to_have_text(euros(payout))
    assert any(
        "Settle Lakeside Wanderers v Old Town Albion" in d for d in pages.dialogs
    )


def test_settled_bet_reaches_an_open_account_page_live(
    platform: Platform, pages: Pages
) -> None:
    """A bet settled while the player's account page is open shows as won there without a reload."""
    match = create_match(platform, "Fernhill Albion", "Quarry Lane")
    home = match["markets"][0]["selections"][0]
    username = new_player(platform, 10_000)
    token = platform.login(username, PASSWORD)
    placed = platform.place(token, match["id"], home["id"], 1_000, home["odds"])
    assert placed.status_code == 201, placed.text

    page = pages.open("player")
    log_in(page, username)
    bet = page.get_by_role("row").filter(has_text=match["name"])
    expect(bet.get_by_role("cell").nth(5)).to_have_text("Open")
    admin = platform.admin_token()
    for action, body in (("close", None), ("settle", {"outcome": "home"})):
        done = platform.call(
            "POST", f"/api/admin/events/{match['id']}/{action}", admin, body
        )
        assert done.status_code == 200, done.text
    # The balance message comes first; a bet message would be just behind it.
    balance = 9_000 + placed.json()["potential_payout"]
    expect(balance_link(page, username, balance)).to_be_visible()
    expect(bet.get_by_role("cell").nth(5)).to_have_text("Won", timeout=5_000)


# Cells (by bet code) whose content is wider than they are, and the board's
# scrolling frame if the board is wider than its panel.
BOARD_OVERFLOW = """board => [board.parentElement, ...board.querySelectorAll("button")]
    .filter((node) => node.scrollWidth > node.clientWidth)
    .map((node) => node.dataset.code ?? node.className)"""


def test_roulette_round_from_bet_to_checked_result(
    platform: Platform, pages: Pages
) -> None:
    """A bet on red placed on a table's board is settled by a spin the page animates, and the page's own fairness check agrees with the server."""
    username = new_player(platform, 10_000)
    page = pages.open("player")
    log_in(page, username)
    go(page, "Roulette")

    admin = pages.open("admin", accept_dialogs=True)
    log_in(admin, "admin", ADMIN_PASSWORD)
    open_console(admin, "Roulette tables")
    admin.get_by_label("Table name").fill("Riverside Table")
    admin.get_by_label("Betting time (seconds)").fill("15")
    # A long pause keeps this round's result on show while it is checked.
    admin.get_by_label("Pause after the draw (seconds)").fill("60")
    admin.get_by_role("button", name="Open table").click()
    try:
        page.get_by_role("link", name=re.compile(r"^Riverside Table")).click()
        board = page.get_by_role("group", name="Bet board")
        red = board.get_by_role("button", name=re.compile(r"^Red, odds "))
        expect(red).to_be_enabled()
        # Every bet's label fits its cell, and the board its panel: on a
        # laptop less its scrollbar, on a phone, and on the desktop.
        for width, height in ((1240, 800), (390, 844), (1280, 800)):
            page.set_viewport_size({"width": width, "height": height})
            assert board.evaluate(BOARD_OVERFLOW) == [], width
        red.click()
        place(page, "10", 1_000)

        wheel = page.get_by_role("img", name=re.compile(r"^Roulette wheel"))
        expect(wheel).to_have_accessible_name(
            "Roulette wheel, spinning", timeout=30_000
        )
        landed = re.compile(r"^Roulette wheel, the ball is in (\d+) (red|black|green)$")
        expect(wheel).to_have_accessible_name(landed)
        drawn = landed.fullmatch(wheel.get_attribute("aria-label") or "")
        assert drawn is not None
        pocket = int(drawn[1])

        fair = page.get_by_role("region", name="Provably fair")
        expect(
            fair.get_by_text("sha256(secret) equals the commitment").first
        ).to_be_visible()
        expect(
            fair.get_by_text(f"The secret gives pocket {pocket}, the pocket drawn.")
        ).to_be_visible()

        # The server drew the same pocket, from a secret matching its commitment.
        (bet,) = my_bets(platform, username)
        spin = platform.call("GET", f"/api/events/{bet['event_id']}").json()["spin"]
        assert spin["pocket"] == pocket
        digest = hashlib.sha256(bytes.fromhex(spin["secret"])).hexdigest()
        assert digest == spin["commitment"]
        assert bet["status"] == ("won" if pocket in RED_POCKETS else "lost")
        expect(balance_link(page, username, 9_000 + bet["payout"])).to_be_visible()
        pages.shot(page, "roulette")
    finally:
        admin_token = platform.admin_token()
        tables = platform.call("GET", "/api/roulette/tables").json()["tables"]
        for table in tables:
            if table["name"] == "Riverside Table" and table["status"] != "stopped":
                platform.call(
                    "POST",
                    f"/api/admin/roulette/tables/{table['id']}/stop",
                    admin_token,
                )


def test_exposure_chart_draws_one_bar_per_outcome(
    platform: Platform, pages: Pages
) -> None:
    """The console's exposure chart for a match draws one bar per outcome, labelled with the liability the API reports."""
    match = create_match(platform, "Hillcrest Rangers", "Southbank Swifts")
    home, _, away = match["markets"][0]["selections"]
    token = platform.login(new_player(platform, 100_000), PASSWORD)
    for chosen, stake in ((home, 5_000), (away, 3_000)):
        placed = platform.place(token, match["id"], chosen["id"], stake, "1.01", "any")
        assert placed.status_code == 201, placed.text
    exposure = platform.call(
        "GET", f"/api/admin/events/{match['id']}/exposure", platform.admin_token()
    ).json()

    admin = pages.open("admin")
    log_in(admin, "admin", ADMIN_PASSWORD)
    manage(admin, match)
    chart = admin.get_by_role("img", name=re.compile(r"^Liability per outcome: "))
    expect(chart).to_have_accessible_name(
        "Liability per outcome: "
        + "; ".join(
            f"{o['name']} {euros(o['liability'])}" for o in exposure["outcomes"]
        )
    )
    expect(chart.locator("rect.bar")).to_have_count(3)
    widths = [
        float(w)
        for w in chart.locator("rect.bar").evaluate_all(
            "bars => bars.map(bar => bar.getAttribute('width'))"
        )
    ]
    # Bars are drawn in outcome order, each as long as its liability.
    liabilities = [o["liability"] for o in exposure["outcomes"]]
    assert sorted(range(3), key=widths.__getitem__) == sorted(
        range(3), key=liabilities.__getitem__
    )
    house = admin.get_by_role("img", name=re.compile(r"^House result per outcome: "))
    expect(house.locator("rect")).to_have_count(3)


def test_bet_slip_works_with_the_keyboard_alone(
    platform: Platform, pages: Pages
) -> None:
    """A player reaches an odds button, picks it, types a stake and places the bet using only the keyboard."""
    match = create_match(platform, "Brookfield Town", "Westgate Rovers")
    username = new_player(platform, 10_000)
    page = pages.open("player")
    log_in(page, username)
    go(page, "Sports")

    target = selection(page, match, "Westgate Rovers")
    expect(target).to_be_visible()
    tab_to(page, target, limit=120)
    page.keyboard.press("Enter")
    expect(target).to_have_attribute("aria-pressed", "true")
    slip = bet_slip(page)
    expect(slip.get_by_label("Stake")).to_be_focused()
    page.keyboard.type("7.50")
    place_button = slip.get_by_role("button", name="Place bet €7.50")
    tab_to(page, place_button, limit=12)
    page.keyboard.press("Enter")
    expect(slip.get_by_text("Bet placed")).to_be_visible()
    # Focus lands in the receipt, so the next key press stays on the slip.
    expect(slip.get_by_role("button", name="Bet again")).to_be_focused()
    expect(balance_link(page, username, 9_250)).to_be_visible()


def test_markup_in_team_names_is_shown_as_text(
    platform: Platform, pages: Pages
) -> None:
    """Team names holding HTML show as literal text on the board, the slip, my bets and the console, and no script runs."""
    home = "<img src=x onerror=alert(1)>"
    away = "<script>alert(2)</script>"
    match = create_match(platform, home, away, league="Markup Cup")
    username = new_player(platform, 10_000)

    page = pages.open("player")
    log_in(page, username)
    go(page, "Sports")
    expect(page.get_by_role("heading", name=match["name"], exact=True)).to_be_visible()
    selection(page, match, home).click()
    expect(bet_slip(page).get_by_text(home, exact=True)).to_be_visible()
    place(page, "5", 500)
    expect(bet_slip(page).get_by_text(f"{home} — {match['name']}")).to_be_visible()
    go(page, "Account")
    expect(page.get_by_role("cell", name=match["name"], exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=home, exact=True)).to_be_visible()

    admin = pages.open("admin")
    log_in(admin, "admin", ADMIN_PASSWORD)
    manage(admin, match)
    expect(
        admin.get_by_role(
            "img", name=re.compile(rf"^Liability per outcome: {re.escape(home)} ")
        )
    ).to_be_visible()

    for seen in (page, admin):
        expect(seen.locator("img[src='x'], [onerror]")).to_have_count(0)
        expect(seen.locator("body script")).to_have_count(0)
    assert pages.dialogs == []


def read_limits(field: Locator) -> tuple[int, int]:
    """Return a text field's least and greatest length; a required field needs one."""
    # A browser reports -1 for a limit the field does not set.
    shortest, longest = field.evaluate("node => [node.minLength, node.maxLength]")
    if field.evaluate("node => node.required"):
        shortest = max(shortest, 1)
    return max(shortest, 0), longest


def test_forms_take_no_text_the_api_would_refuse_for_its_length(
    platform: Platform, pages: Pages
) -> None:
    """Every text field of the register form and the console's forms keeps to the length limits the API publishes for it."""
    published = platform.call("GET", "/api/openapi.json").json()["components"]
    schemas = published["schemas"]
    page = pages.open("visitor", "/#/account")
    admin = pages.open("admin")
    log_in(admin, "admin", ADMIN_PASSWORD)
    register = page.get_by_role("form", name="Create an account")
    fields: list[tuple[Locator, str, str]] = [
        (register.get_by_label("Username"), "Register", "username"),
        (register.get_by_label("Password"), "Register", "password"),
    ]
    open_console(admin, "Events")
    admin.get_by_role("button", name="New football event").click()
    fields += [
        (admin.get_by_label("Home team"), "CreateEvent", "home"),
        (admin.get_by_label("Away team"), "CreateEvent", "away"),
        (admin.get_by_label("League"), "CreateEvent", "league"),
        (admin.get_by_role("textbox", name=re.compile("^Name")), "CreateEvent", "name"),
    ]
    measured = [(*where, read_limits(locator)) for locator, *where in fields]
    open_console(admin, "Roulette tables")
    table = read_limits(admin.get_by_label("Table name"))
    measured.append(("CreateTable", "name", table))

    wrong = []
    for schema, name, (shortest, longest) in measured:
        allowed = schemas[schema]["properties"][name]
        if not 0 < longest <= allowed["maxLength"]:
            wrong.append(
                f"{schema}.{name}: at most {longest}, not {allowed['maxLength']}"
            )
        if shortest < allowed.get("minLength", 0):
            wrong.append(
                f"{schema}.{name}: at least {shortest}, not {allowed['minLength']}"
            )
    assert not wrong, "; ".join(wrong)


def test_phone_sized_events_page_never_scrolls_sideways(
    platform: Platform, pages: Pages
) -> None:
    """On a 390x844 screen the events page fits its width, before and after a pick opens the bet slip."""
    match = create_match(platform, "Greenfield Harriers", "Stonebridge Vale")
    page = pages.open("phone", viewport=PHONE)
    target = selection(page, match, "Stonebridge Vale")
    expect(target).to_be_visible()

    def overflow() -> Any:
        # Scroll as far right as the page allows, and list what sticks out.
        return page.evaluate(
            """() => {
                window.scrollTo(10000, window.scrollY);
                const width = document.documentElement.clientWidth;
                const outside = [...document.querySelectorAll("body *")]
                    .filter((node) => node.getClientRects().length)
                    .filter((node) => node.getBoundingClientRect().right > width + 0.5)
                    .map((node) => node.className || node.tagName);
                return {scrollX: window.scrollX, outside: outside.slice(0, 10)};
            }"""
        )

    assert overflow() == {"scrollX": 0, "outside": []}
    target.click()
    expect(bet_slip(page).get_by_label("Stake")).to_be_visible()
    assert overflow() == {"scrollX": 0, "outside": []}
