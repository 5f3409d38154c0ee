"""In Chromium, on the local cluster: the web process serving a dashboard is restarted (SIGTERM,
then started again on the same port) while the page's live stream is open. The process ends the
stream and exits by itself (not SIGKILLed after waiting for it). The page says the stream is
down, its EventSource reconnects by itself, the new process sends the whole view first, and a
change at the exchange afterwards reaches the page: all without a reload."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from bitmart.api_contract import APIContract
from playwright.async_api import expect

from tests.e2e.helpers import sign_up_in_browser
from tests.fixtures.cluster import PASSWORD, Cluster
from tests.fixtures.sandbox import SandboxAdmin

pytestmark = pytest.mark.e2e
EXITED = "\"msg\": \"Finished server process"  # uvicorn's last words, once a line
# Marks the document (a reload would lose the mark), records the stream's states, and blanks the
# account row's state once the stream is down, so only the next stream's view can set it again.
WATCH_LIVE = """(row) => {
  window.notReloaded = true;
  window.liveStates = [];
  new MutationObserver(() => {
    const state = document.documentElement.dataset.live;
    window.liveStates.push(state);
    if (state === "down") { row.dataset.liveState = "unknown"; }
  }).observe(document.documentElement, {attributes: true, attributeFilter: ["data-live"]});
}"""


async def test_a_restarted_web_process_resumes_the_live_page_without_a_reload(
    cluster: Cluster, page: Any,
) -> None:
    base = cluster.url("web1")
    admin = SandboxAdmin(cluster["SANDBOX_URL"], cluster["SANDBOX_ADMIN_TOKEN"])
    key = await asyncio.to_thread(lambda: admin.create_key(admin.create_user()["email"]))
    _, headers = await sign_up_in_browser(page, base, PASSWORD)
    r = await page.request.post(base + "/api/accounts", headers=headers, data={
        "api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"],
        "label": "Restart"})
    assert r.status == 201, await r.text()
    account_id = str((await r.json())["account"]["id"])

    await page.goto(base + "/")
    row = page.locator(f'#dashboard-accounts tr[data-account="{account_id}"]')
    html = page.locator("html")
    await expect(row).to_have_attribute("data-live-state", "fresh", timeout=30000)
    await expect(html).to_have_attribute("data-live", "open")
    available = row.locator('[data-field="available"]')
    before = await available.text_content()
    await row.evaluate(WATCH_LIVE)

    log = cluster.where / "logs" / "web1.log"
    finished = log.read_text().count(EXITED)
    started = time.monotonic()
    await asyncio.to_thread(cluster.restart, "web1")  # SIGTERM; the same port again
    # it ended its open stream and exited by itself (uvicorn waits for open connections)
    assert log.read_text().count(EXITED) == finished + 1
    restarted_in = time.monotonic() - started
    await expect(html).to_have_attribute("data-live", "open", timeout=30000)
    await expect(row).to_have_attribute("data-live-state", "fresh")  # the whole view, sent first
    states = await page.evaluate("window.liveStates")
    assert "down" in states and states[-1] == "open", states  # it went down and came back
    resumed_in = time.monotonic() - started

    # a change at the exchange now reaches the page through the new process
    api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=cluster["SANDBOX_URL"])
    await asyncio.to_thread(lambda: api.post_submit_order(
        contract_symbol="BTCUSDT", client_order_id="restart1", type="limit", side=1, leverage="5",
        open_type="isolated", mode=1, price="1000", size=1))
    await expect(available).not_to_have_text(before or "", timeout=15000)
    assert await page.evaluate("window.notReloaded === true")  # the same document all along
    print(f"web process restarted in {restarted_in:.1f} s; the page live again {resumed_in:.1f} s after")
