/* Operations dashboard: the period fields of the filter form, and the charts (Apache ECharts).
   Data come from JSON endpoints named in data-src; each chart re-reads its data every
   data-poll seconds, so the page stays live without a reload. No inline script or style. */
(function () {
  "use strict";

  // --- the filter form: show only the fields of the chosen period kind ---------------------
  function wirePeriod(form) {
    var select = form.querySelector("[data-period-select]");
    if (!select) { return; }
    function sync() {
      form.querySelectorAll("[data-period]").forEach(function (field) {
        var on = field.getAttribute("data-period") === select.value;
        field.hidden = !on;
        field.querySelectorAll("input").forEach(function (input) { input.disabled = !on; });
      });
    }
    select.addEventListener("change", sync);
    sync();
  }
  document.querySelectorAll("form.stats-filters").forEach(wirePeriod);

  if (typeof window.echarts === "undefined") { return; }
  var echarts = window.echarts;
  var BLUE = "#0b4f8a", GREEN = "#1e6b30", RED = "#a4161a", AMBER = "#8a5a00";
  var percent = function (v) { return v === null || v === undefined ? "—" : String(v).replace(".", ",") + "%"; };

  function rateColor(rate) {
    if (rate === null || rate === undefined) { return "#9a9a9a"; }
    if (rate >= 95) { return GREEN; }
    if (rate >= 80) { return AMBER; }
    return RED;
  }

  var base = {
    aria: { enabled: true },
    textStyle: { fontFamily: "Noto Sans, DejaVu Sans, Arial, sans-serif" },
    // Tooltips drawn on the canvas: no HTML with inline styles (strict CSP).
    tooltip: { renderMode: "richText", confine: true },
    animation: false
  };

  function withBase(option) {
    var merged = {};
    Object.keys(base).forEach(function (k) { merged[k] = base[k]; });
    Object.keys(option).forEach(function (k) {
      merged[k] = (k === "tooltip") ? Object.assign({}, base.tooltip, option.tooltip) : option[k];
    });
    return merged;
  }

  function agencyAxisLabel() {
    // Narrow screens: a narrower label column, wrapped over lines.
    var width = window.innerWidth < 600 ? 110 : 190;
    return { width: width, overflow: "break", lineHeight: 14 };
  }

  // The text alternative of a chart: its figures as a table (in a <details> next to it).
  function fillTable(kind, data) {
    var body = document.querySelector("[data-chart-table='" + kind + "'] tbody");
    if (!body || kind !== "trend") { return; }
    while (body.firstChild) { body.removeChild(body.firstChild); }
    (data.points || []).forEach(function (p) {
      var tr = document.createElement("tr");
      [p.label, p.received, p.resolved, p.resolved_late, percent(p.on_time_rate)].forEach(function (v, i) {
        var cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) { cell.setAttribute("scope", "row"); }
        cell.textContent = String(v);
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
  }

  var builders = {
    trend: function (data) {
      var pts = data.points || [];
      return withBase({
        tooltip: { trigger: "axis" },
        legend: { top: 0, type: "scroll" },
        grid: { left: 48, right: 56, top: 56, bottom: 32 },
        xAxis: { type: "category", data: pts.map(function (p) { return p.label; }) },
        yAxis: [
          { type: "value", minInterval: 1 },
          { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }
        ],
        series: [
          { name: "Tiếp nhận", type: "line", color: BLUE,
            data: pts.map(function (p) { return p.received; }) },
          { name: "Đã giải quyết", type: "line", color: GREEN,
            data: pts.map(function (p) { return p.resolved; }) },
          { name: "Trễ hạn", type: "bar", color: RED,
            data: pts.map(function (p) { return p.resolved_late; }) },
          { name: "% giải quyết đúng hạn", type: "line", yAxisIndex: 1, color: AMBER,
            data: pts.map(function (p) { return p.on_time_rate; }) }
        ]
      });
    },
    ranking: function (data) {
      var rows = (data.rows || []).slice().reverse();
      return withBase({
        tooltip: { trigger: "item", formatter: function (p) {
          var r = rows[p.dataIndex];
          return r.name + "\nĐúng hạn: " + percent(r.on_time_rate) + "\nTiếp nhận: " + r.received + " · Quá hạn: " + r.overdue;
        } },
        grid: { left: 8, right: 48, top: 8, bottom: 24, containLabel: true },
        xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        // Short names that still tell agencies apart ("UBND phường Hạ Long"), wrapped rather
        // than cut; the full name is in the tooltip and the ranking table.
        yAxis: { type: "category", data: rows.map(function (r) { return r.label || r.name; }),
                 axisLabel: agencyAxisLabel() },
        series: [{
          type: "bar",
          data: rows.map(function (r) {
            return { value: r.on_time_rate, itemStyle: { color: rateColor(r.on_time_rate) }, agency: r.agency_id, self: r.only_self };
          }),
          label: { show: true, position: "right", formatter: function (p) { return percent(p.value); } }
        }]
      });
    },
    tree: function (data) {
      function paint(nodes) {
        return (nodes || []).map(function (n) {
          var item = { name: n.name, value: n.value, agency: n.id, rate: n.on_time_rate,
                       itemStyle: { color: rateColor(n.on_time_rate) } };
          if (n.children && n.children.length) { item.children = paint(n.children); }
          return item;
        });
      }
      return withBase({
        tooltip: { formatter: function (p) {
          var d = p.data || {};
          return (d.name || "") + "\nTiếp nhận: " + (d.value || 0) + "\nĐúng hạn: " + percent(d.rate);
        } },
        series: [{
          type: "treemap", roam: false, nodeClick: false, leafDepth: 2,
          breadcrumb: { show: false },
          // Names wrap inside their box rather than end in "…" ("UBND …" named no one).
          label: { show: true, formatter: "{b}", overflow: "break", lineHeight: 14 },
          upperLabel: { show: true, height: 22 },
          levels: [{ itemStyle: { borderColor: "#fff", borderWidth: 2, gapWidth: 2 } },
                   { itemStyle: { borderColor: "#fff", borderWidth: 1, gapWidth: 1 } }],
          data: paint(data.nodes)
        }]
      });
    },
    "public": function (data) {
      var rows = (data.rows || []).slice().reverse();
      return withBase({
        tooltip: { trigger: "item", formatter: function (p) {
          var r = rows[p.dataIndex];
          return r.name + "\nĐúng hạn: " + percent(r.on_time_rate) + "\nĐã giải quyết: " + r.resolved;
        } },
        grid: { left: 8, right: 56, top: 8, bottom: 24, containLabel: true },
        xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        yAxis: { type: "category", data: rows.map(function (r) { return r.label || r.name; }),
                 axisLabel: agencyAxisLabel() },
        series: [{
          type: "bar",
          data: rows.map(function (r) { return { value: r.on_time_rate, itemStyle: { color: rateColor(r.on_time_rate) } }; }),
          label: { show: true, position: "right", formatter: function (p) { return percent(p.value); } }
        }]
      });
    }
  };

  function drillTo(el, agencyId) {
    var target = el.getAttribute("data-drill");
    if (!target || !agencyId) { return; }
    var url = new URL(target, window.location.href);
    url.searchParams.set("agency", agencyId);
    window.location.assign(url.toString());
  }

  // A bar per agency: the chart grows with the agencies, so that wrapped names never overlap
  // (a phone shows two or three lines per name).
  function fitHeight(el, chart, kind, data) {
    if (kind !== "ranking" && kind !== "public") { return; }
    if (!el.hasAttribute("data-base-height")) { el.setAttribute("data-base-height", String(el.clientHeight)); }
    var base = parseInt(el.getAttribute("data-base-height"), 10) || 0;
    var perRow = window.innerWidth < 600 ? 40 : 26;
    var wanted = Math.max(base, (data.rows || []).length * perRow + 56);
    if (el.clientHeight !== wanted) {
      el.style.height = wanted + "px";
      chart.resize();
    }
  }

  function mount(el) {
    var kind = el.getAttribute("data-chart");
    var build = builders[kind];
    if (!build) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas", locale: "VI" });
    if (kind === "ranking" || kind === "tree") {
      if (!el.getAttribute("data-drill")) {
        el.setAttribute("data-drill", window.location.pathname + window.location.search);
      }
      chart.on("click", function (p) {
        var d = p.data || {};
        if (!d.self) { drillTo(el, d.agency); }
      });
    }
    function load() {
      return fetch(el.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          fitHeight(el, chart, kind, data);
          chart.setOption(build(data), true);
          fillTable(kind, data);
          el.setAttribute("data-loaded", "1");
        })
        .catch(function () { el.setAttribute("data-loaded", "error"); });
    }
    load();
    var every = parseInt(el.getAttribute("data-poll") || "0", 10);
    if (every > 0) { window.setInterval(load, every * 1000); }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-chart]").forEach(mount);
})();
