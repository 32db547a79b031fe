// Draws a campaign's uplift chart with Plotly: for each measure, one bar per group (treatment,
// control) with its 95 % interval as error bars. Without JavaScript the table shows the same.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var data = JSON.parse(document.getElementById("campaign-data").textContent);
  var config = { displaylogo: false, responsive: true };
  data.metrics.forEach(function (metric) {
    var scale = metric.kind === "share" ? 100 : 1;
    var groups = [metric.treatment, metric.control];
    var values = groups.map(function (g) { return g.value === null ? 0 : g.value * scale; });
    Plotly.newPlot("chart-" + metric.key, [{
      type: "bar",
      x: data.groups,
      y: values,
      marker: { color: ["#2f6fb0", "#a0a7b0"] },
      text: groups.map(function (g) { return "n = " + g.n; }),
      error_y: {
        type: "data", symmetric: false, visible: true,
        array: groups.map(function (g, i) { return g.high === null ? 0 : g.high * scale - values[i]; }),
        arrayminus: groups.map(function (g, i) { return g.low === null ? 0 : values[i] - g.low * scale; })
      }
    }], {
      margin: { l: 56, r: 12, t: 8, b: 36 }, height: 240, showlegend: false,
      yaxis: { rangemode: "tozero", ticksuffix: metric.kind === "share" ? " %" : "" }
    }, config);
  });
}());
