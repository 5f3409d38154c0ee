// The Terminal's chart (TradingView Lightweight Charts 4.2): candles that fill their grid cell and
// follow it (autoSize), and the account's prices as price lines: open orders, TP/SL and trigger
// orders, entry and liquidation. Only the candles take part in the price scale's autoscale, so a
// far liquidation price never flattens them; the lines outside the range are listed at the
// chart's top or bottom edge instead.
// The library has no draggable lines: an open order's line is dragged with pointer events on the
// chart's box, its price read back with coordinateToPrice and snapped to the tick, then handed to
// onMove (which asks for confirmation and amends); refused, the line goes back.
(function () {
  "use strict";
  const GRAB_PX = 6;  // how near the pointer must be to a line to take it

  function decimalsOf(tick) {
    const frac = String(tick).split(".")[1] || "";
    return frac.replace(/0+$/, "").length;
  }
  // the tick-grid price nearest to `price` (a chart coordinate), as an exact decimal string
  function snap(price, tick) {
    const t = Number(tick);
    return (Math.round(price / t) * t).toFixed(decimalsOf(tick));
  }

  // box: the element to draw in; opts: {tick, onMove(order, price) -> Promise<boolean>}
  function create(box, opts) {
    if (!window.LightweightCharts) return null;
    const tick = opts.tick || "0.01";
    const fmt = (p) => (window.perpdeskNum ? window.perpdeskNum.price(p, tick) : p);
    const chart = window.LightweightCharts.createChart(box, {
      // the library's logo injects a <style> (refused by the CSP): attributed in the page instead
      autoSize: true, layout: { background: { color: "#ffffff" }, textColor: "#1b1f24", attributionLogo: false },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { scaleMargins: { top: 0.08, bottom: 0.08 } },
    });
    // the default autoscale: the candles only (the price lines stay out of it)
    const series = chart.addCandlestickSeries({
      priceFormat: { type: "price", precision: decimalsOf(tick), minMove: Number(tick) },
    });
    let lines = [];
    let drag = null, pending = null;

    // the lines above and below the visible range, named at the chart's edges
    const edge = (where) => {
      const d = document.createElement("div");
      d.className = "offscale " + where;
      d.setAttribute("data-offscale", where);
      box.append(d);
      return d;
    };
    const edges = { above: edge("above"), below: edge("below") };
    let queued = false;
    function markOffscale() {
      if (queued) return;
      queued = true;
      window.requestAnimationFrame(() => {
        queued = false;
        const bottom = box.clientHeight - chart.timeScale().height();
        const off = { above: [], below: [] };
        for (const l of lines) {
          const y = series.priceToCoordinate(Number(l.price));
          if (y === null || (y >= 0 && y <= bottom)) continue;
          const name = l.title.includes(fmt(l.price)) ? l.title : l.title + " " + fmt(l.price);
          off[y < 0 ? "above" : "below"].push((y < 0 ? "▲ " : "▼ ") + name);
        }
        for (const where of ["above", "below"]) {
          edges[where].textContent = off[where].join("   ");
          edges[where].hidden = !off[where].length;
        }
      });
    }
    new ResizeObserver(markOffscale).observe(box);

    function setLines(list) {
      if (drag) { pending = list; return; }  // not under the pointer: drawn once the drag ends
      for (const l of lines) series.removePriceLine(l.line);
      lines = list.filter((l) => l.price).map((l) => ({
        ...l,
        line: series.createPriceLine({ price: Number(l.price), color: l.color, lineWidth: l.order ? 2 : 1,
                                       lineStyle: l.style, axisLabelVisible: true, title: l.title }),
      }));
      markOffscale();
    }

    const yOf = (ev) => ev.clientY - box.getBoundingClientRect().top;
    function lineAt(y) {
      let best = null, bestD = GRAB_PX + 1;
      for (const l of lines) {
        if (!l.order) continue;
        const ly = series.priceToCoordinate(Number(l.price));
        if (ly === null) continue;
        const d = Math.abs(ly - y);
        if (d < bestD) { best = l; bestD = d; }
      }
      return best;
    }
    function restore(l) {
      l.line.applyOptions({ price: Number(l.price), title: l.title });
    }
    box.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      const l = lineAt(yOf(ev));
      if (!l) return;
      // keep the chart from panning: no mousedown reaches it while the line is held
      ev.preventDefault(); ev.stopPropagation();
      box.setPointerCapture(ev.pointerId);
      drag = { l, to: null };
      box.classList.add("dragging");
      chart.applyOptions({ handleScroll: false, handleScale: false });
    }, { capture: true });
    box.addEventListener("pointermove", (ev) => {
      if (!drag) { box.classList.toggle("over-line", Boolean(lineAt(yOf(ev)))); return; }
      const p = series.coordinateToPrice(yOf(ev));
      if (p === null || p <= 0) return;
      drag.to = snap(p, tick);
      drag.l.line.applyOptions({ price: Number(drag.to), title: "Move to " + fmt(drag.to) });
    });
    async function drop() {
      if (!drag) return;
      const { l, to } = drag;
      drag = null;
      box.classList.remove("dragging");
      chart.applyOptions({ handleScroll: true, handleScale: true });
      if (!to || Number(to) === Number(l.price)) { restore(l); if (pending) setLines(pending); pending = null; return; }
      const moved = await opts.onMove(l.order, to);
      if (!moved) restore(l);
      if (pending) { const list = pending; pending = null; setLines(list); }
    }
    box.addEventListener("pointerup", drop);
    box.addEventListener("pointercancel", () => { if (drag) { restore(drag.l); drag = null; box.classList.remove("dragging"); } });

    return {
      setBars(bars) { series.setData(bars); chart.timeScale().fitContent(); markOffscale(); },
      update(bar) { series.update(bar); markOffscale(); },
      setLines,
      setMarkers(markers) { series.setMarkers(markers); },
      // for tests and the page: the visible price range and where an order's line is drawn
      priceRange() {
        const h = box.clientHeight;
        return { top: series.coordinateToPrice(0), bottom: series.coordinateToPrice(h) };
      },
      lineY(orderId) {
        const l = lines.find((x) => x.order && x.order.order_id === orderId);
        return l ? series.priceToCoordinate(Number(l.price)) : null;
      },
    };
  }

  window.perpdeskTerminalChart = { create, snap };
})();
