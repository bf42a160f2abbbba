/* The report pages' charts (Chart.js, served by the app) from the JSON embedded in the page. */
(function () {
  'use strict';
  var printButton = document.querySelector('[data-print]');
  if (printButton) printButton.addEventListener('click', function () { window.print(); });
  var el = document.getElementById('report-data');
  if (!el || typeof window.Chart === 'undefined') return;
  var data = JSON.parse(el.textContent);
  var HUMAN = '#c8102e';
  var MACHINE = '#9aa0a6';
  var drawn = 0;
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    new window.Chart(canvas, config);
    drawn += 1;
  }
  function minuteLabel(m) { return new Date(m * 60000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
  function hourLabel(h) { return new Date(h * 3600000).toLocaleString([], { weekday: 'short', hour: '2-digit' }); }
  if (data.kind === 'campaign') {
    chart('chart-links', {
      type: 'bar',
      data: {
        labels: data.byLink.map(function (l) { return l.label.length > 40 ? l.label.slice(0, 39) + '…' : l.label; }),
        datasets: [
          { label: 'human', data: data.byLink.map(function (l) { return l.human; }), backgroundColor: HUMAN },
          { label: 'machine', data: data.byLink.map(function (l) { return l.machine; }), backgroundColor: MACHINE },
        ],
      },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    chart('chart-sent', {
      type: 'bar',
      data: { labels: data.sentPerMinute.map(function (p) { return minuteLabel(p[0]); }), datasets: [{ label: 'messages sent per minute', data: data.sentPerMinute.map(function (p) { return p[1]; }), backgroundColor: '#4a4d55' }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    chart('chart-clicks', {
      type: 'line',
      data: { labels: data.clicksPerHour.map(function (p) { return hourLabel(p[0]); }), datasets: [{ label: 'human clicks per hour (48 h)', data: data.clicksPerHour.map(function (p) { return p[1]; }), borderColor: HUMAN, backgroundColor: HUMAN, tension: 0.2 }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  } else if (data.kind === 'trend') {
    var labels = data.trend.map(function (e) { return e.date; });
    chart('chart-trend-sent', { type: 'line', data: { labels: labels, datasets: [{ label: 'sent', data: data.trend.map(function (e) { return e.sent; }), borderColor: '#4a4d55' }] }, options: { scales: { y: { beginAtZero: true } } } });
    chart('chart-trend-rates', {
      type: 'line',
      data: {
        labels: labels,
        datasets: [
          { label: 'click rate %', data: data.trend.map(function (e) { return 100 * e.clickRate; }), borderColor: HUMAN },
          { label: 'unsubscribe rate %', data: data.trend.map(function (e) { return 100 * e.unsubscribeRate; }), borderColor: '#1a73e8' },
          { label: 'complaint rate %', data: data.trend.map(function (e) { return 100 * e.complaintRate; }), borderColor: '#e37400' },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
  }
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
