// Draws the analytics page's CLV histogram with Plotly from the numbers the page embeds;
// without JavaScript the table under the chart shows the same numbers.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var data = JSON.parse(document.getElementById("analytics-data").textContent);
  var histogram = data.histogram;
  if (!histogram.y.length) { return; }
  Plotly.newPlot("chart-clv", [{
    type: "bar", x: histogram.x, y: histogram.y, width: histogram.width * 0.95,
    text: histogram.labels, hovertemplate: "%{text}: %{y}<extra></extra>",
    marker: { color: "#2f6fb0" }
  }], {
    margin: { l: 48, r: 12, t: 8, b: 48 }, height: 280, showlegend: false, bargap: 0.02,
    xaxis: { title: { text: histogram.titles.x } }, yaxis: { title: { text: histogram.titles.y } }
  }, { displaylogo: false, responsive: true });
}());
