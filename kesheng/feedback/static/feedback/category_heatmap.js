// Draws the inbox's category × store heat map with Plotly from the numbers the page embeds;
// without JavaScript the table under it shows the same numbers.
(function () {
  "use strict";
  var source = document.getElementById("category-heatmap-data");
  if (!window.Plotly || !source) { return; }
  var data = JSON.parse(source.textContent);
  Plotly.newPlot("chart-category-heatmap", [{
    type: "heatmap", z: data.counts, x: data.stores, y: data.categories,
    text: data.hover, hoverinfo: "x+y+text", colorscale: "Blues", reversescale: true,
    xgap: 2, ygap: 2
  }], {
    margin: { l: 140, r: 12, t: 8, b: 80 },
    height: Math.max(220, 30 * data.categories.length + 100),
    yaxis: { automargin: true, autorange: "reversed" }, xaxis: { automargin: true }
  }, { displaylogo: false, responsive: true });
}());
