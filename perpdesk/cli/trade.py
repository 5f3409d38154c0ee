"""`perpdesk trade ...`: the terminal's actions from a shell, through the same services as the
pages and the JSON API (bootstrap's Services), on behalf of --user. Tables by Rich, or --json.

Numbers are given and printed as exact decimal strings. Exit codes: 0 done, 1 refused (the
reason and the next step on stderr), 2 usage; an order whose outcome is unknown exits 3 (it is
never sent again: look at `perpdesk trade orders` before placing it anew).

The commands live by group: trade_orders.py (plain orders, positions), trade_conditional.py
(TP/SL, trailing, trigger), trade_reads.py (orders, fills, position mode); what they print is in
trade_outcomes.py.
"""

from __future__ import annotations

import typer

from perpdesk.cli import trade_conditional, trade_orders, trade_reads

app = typer.Typer(
    help="Trade a connected account: place, amend, cancel, cancel-all, close, tp-sl, trail, plan, "
    "orders, fills.",
    no_args_is_help=True,
)
app.command()(trade_orders.place)
app.command()(trade_orders.amend)
app.command()(trade_orders.cancel)
app.command("cancel-all")(trade_orders.cancel_all)
app.command()(trade_orders.close)
app.command("tp-sl")(trade_conditional.tp_sl)
app.command()(trade_conditional.trail)
app.command()(trade_conditional.plan)
app.command()(trade_reads.orders)
app.command()(trade_reads.fills)
app.command("position-mode")(trade_reads.position_mode)
