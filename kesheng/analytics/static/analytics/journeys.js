// Draws the journeys page's charts with Plotly from the numbers the page embeds; without
// JavaScript the tables under each chart show the same numbers.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var data = JSON.parse(document.getElementById("journeys-data").textContent);
  var config = { displaylogo: false, responsive: true };

  if (data.funnel && document.getElementById("chart-funnel")) {
    Plotly.newPlot("chart-funnel", [{
      type: "funnel", y: data.funnel.labels, x: data.funnel.values,
      textinfo: "value+percent initial", marker: { color: "#2f6fb0" }
    }], { margin: { l: 180, r: 12, t: 8, b: 24 }, height: Math.max(220, 60 * data.funnel.labels.length) }, config);
  }

  Object.keys(data.paths).forEach(function (before) {
    var series = data.paths[before];
    var element = document.getElementById("chart-paths-" + before);
    if (!element || !series.labels.length) { return; }
    Plotly.newPlot(element, [{
      type: "bar", orientation: "h", y: series.labels, x: series.values,
      marker: { color: before === "complaint" ? "#c0504d" : "#2f6fb0" }
    }], {
      margin: { l: 12, r: 12, t: 8, b: 36 }, height: Math.max(200, 28 * series.labels.length + 60),
      yaxis: { automargin: true, autorange: "reversed" }, showlegend: false
    }, config);
  });
})();
