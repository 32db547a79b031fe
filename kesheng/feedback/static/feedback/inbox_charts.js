// Draws the inbox's keyword chart and weekly sentiment trend with Plotly from the numbers the
// page embeds; without JavaScript the tables under each chart show the same numbers.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var data = JSON.parse(document.getElementById("inbox-chart-data").textContent);
  var config = { displaylogo: false, responsive: true };
  var keywords = data.keywords;
  if (keywords.labels.length) {
    Plotly.newPlot("chart-keywords", [{
      type: "bar", orientation: "h", y: keywords.labels, x: keywords.counts,
      marker: { color: "#2f6fb0" }
    }], {
      height: Math.max(200, 24 * keywords.labels.length + 60),
      margin: { l: 120, r: 12, t: 8, b: 36 }, showlegend: false,
      yaxis: { automargin: true, autorange: "reversed" }
    }, config);
  }
  var trend = data.trend;
  if (trend.weeks.length) {
    var hover = trend.n.map(function (n) { return "n = " + n; });
    function line(name, values, color) {
      return { x: trend.weeks, y: values, name: name, mode: "lines+markers",
        line: { color: color }, text: hover, stackgroup: "share" };
    }
    var labels = trend.labels || {};
    Plotly.newPlot("chart-sentiment-trend", [
      line(labels.negative || "negative", trend.negative, "#c0392b"),
      line(labels.neutral || "neutral", trend.neutral, "#a0a0a0"),
      line(labels.positive || "positive", trend.positive, "#2e8b57")
    ], { height: 280, margin: { l: 48, r: 12, t: 8, b: 48 }, yaxis: { range: [0, 100], ticksuffix: " %" } }, config);
  }
})();
