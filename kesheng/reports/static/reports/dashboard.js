// Draws the dashboard's charts with Plotly from the numbers the page embeds; without
// JavaScript the tables under each chart show the same numbers.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var layout = { margin: { l: 48, r: 12, t: 8, b: 48 }, height: 280, showlegend: false };
  var config = { displaylogo: false, responsive: true };

  function errors(series) {
    return {
      type: "data", symmetric: false, visible: true,
      array: series.values.map(function (v, i) { return series.high[i] === null ? 0 : series.high[i] - v; }),
      arrayminus: series.values.map(function (v, i) { return series.low[i] === null ? 0 : v - series.low[i]; })
    };
  }

  var trend = data.trend;
  if (trend.labels.length) {
    Plotly.newPlot("chart-trend", [
      { x: trend.labels, y: trend.high, mode: "lines", line: { width: 0 }, hoverinfo: "skip" },
      { x: trend.labels, y: trend.low, mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: "rgba(47,111,176,0.18)", hoverinfo: "skip" },
      { x: trend.labels, y: trend.values, mode: "lines+markers", line: { color: "#2f6fb0" },
        text: trend.n.map(function (n) { return "n = " + n; }) }
    ], Object.assign({}, layout, { yaxis: { range: [-100, 100], zeroline: true } }), config);
  }

  function bars(id, series) {
    if (!series.labels.length) { return; }
    Plotly.newPlot(id, [{
      type: "bar", orientation: "h", y: series.labels, x: series.values,
      error_x: { type: "data", symmetric: false, array: errors(series).array, arrayminus: errors(series).arrayminus },
      marker: { color: series.n.map(function (n) { return n < 30 ? "#a9c3de" : "#2f6fb0"; }) },
      text: series.n.map(function (n) { return "n = " + n; })
    }], Object.assign({}, layout, {
      height: Math.max(200, 28 * series.labels.length + 60), margin: { l: 160, r: 12, t: 8, b: 36 },
      xaxis: { range: [-100, 100], zeroline: true }, yaxis: { automargin: true, autorange: "reversed" }
    }), config);
  }
  bars("chart-touchpoints", data.touchpoints);
  bars("chart-stores", data.stores);

  var ipa = data.ipa;
  if (ipa) {
    Plotly.newPlot("chart-ipa", [{
      type: "scatter", mode: "markers+text", x: ipa.importance, y: ipa.performance,
      text: ipa.labels.map(function (label, i) { return String(i + 1); }), textposition: "top right",
      hovertext: ipa.labels, hoverinfo: "text+x+y",
      marker: { size: 9, color: ipa.quadrant.map(function (q) { return ipa.colours[q]; }) }
    }], Object.assign({}, layout, {
      height: 360,
      xaxis: { title: { text: ipa.titles.x } }, yaxis: { title: { text: ipa.titles.y } },
      shapes: [
        { type: "line", xref: "x", yref: "paper", x0: ipa.importance_cut, x1: ipa.importance_cut, y0: 0, y1: 1, line: { dash: "dash", color: "#8a8f98" } },
        { type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: ipa.performance_cut, y1: ipa.performance_cut, line: { dash: "dash", color: "#8a8f98" } }
      ]
    }), config);
  }
}());
