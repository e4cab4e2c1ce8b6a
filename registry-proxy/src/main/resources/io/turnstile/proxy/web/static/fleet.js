// The console's fleet page: draws the adoption chart with uPlot from the numbers of the adoption
// table on the page, so the chart and its table cannot disagree. Without it the table still shows.
"use strict";

const PALETTE = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4", "#57606a"];

function readTable(table) {
  const series = Array.from(table.tHead.rows[0].cells).slice(1).map((th) => th.textContent.trim());
  const days = [];
  const counts = series.map(() => []);
  Array.from(table.tBodies[0].rows).forEach((row) => {
    days.push(Date.parse(row.cells[0].textContent.trim() + "T00:00:00Z") / 1000);
    series.forEach((_, i) => counts[i].push(Number(row.cells[i + 1].textContent)));
  });
  return { series, days, counts };
}

function drawAdoption() {
  const table = document.getElementById("adoption-table");
  const box = document.getElementById("adoption-chart");
  if (!table || !box || typeof uPlot === "undefined") return;
  const { series, days, counts } = readTable(table);
  const options = {
    width: Math.max(320, box.clientWidth),
    height: 300,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    axes: [{}, { label: "licenses", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }],
    series: [{ label: "day", value: (u, v) => (v == null ? "" : new Date(v * 1000).toISOString().slice(0, 10)) }]
      .concat(series.map((label, i) => ({
        label,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        points: { show: days.length < 40 },
      }))),
  };
  const chart = new uPlot(options, [days].concat(counts), box);
  box.dataset.drawn = String(series.length);
  window.addEventListener("resize", () => chart.setSize({ width: Math.max(320, box.clientWidth), height: 300 }));
}

document.addEventListener("DOMContentLoaded", drawAdoption);
