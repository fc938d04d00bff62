// Draws every <canvas data-chart="{...}"> of a monitoring page with Chart.js (from the npm
// registry, webapp/static/vendor/). The figures are also in the table under each chart; a chart
// with "links" opens the link of the bar that was clicked (the phase board's drill-down).
(function () {
  "use strict";

  const palette = ["#1f5f8b", "#e07b39", "#3f8f4f", "#b83b5e", "#6a4c93", "#c9a227", "#4d908e", "#7a7a7a"];

  function draw(canvas) {
    let spec;
    try {
      spec = JSON.parse(canvas.dataset.chart);
    } catch (err) {
      canvas.replaceWith(document.createTextNode("chart data unreadable: " + err));
      return;
    }
    const datasets = (spec.datasets || []).map((set, i) => Object.assign({
      backgroundColor: set.color || palette[i % palette.length],
      borderColor: set.color || palette[i % palette.length],
    }, set));
    const chart = new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels || [], datasets: datasets },
      options: {
        animation: false, // readable in print and in screenshots at once
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1 } },
        scales: {
          x: { stacked: !!spec.stacked },
          y: { stacked: !!spec.stacked, beginAtZero: true },
        },
        onClick: (event, elements) => {
          if (!spec.links || !elements.length) return;
          const link = spec.links[elements[0].index];
          if (link) window.location.assign(link);
        },
        onHover: (event, elements) => {
          event.native.target.style.cursor = spec.links && elements.length ? "pointer" : "default";
        },
      },
    });
    canvas.guichetChart = chart;
    canvas.dataset.drawn = "true"; // for the browser tests (the page's CSP forbids their polling by eval)
  }

  function drawAll() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  // Chart.js resizes on print only when told to
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll("canvas[data-chart]").forEach((c) => c.guichetChart && c.guichetChart.resize());
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
