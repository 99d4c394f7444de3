// Lantian dashboard charts. Data comes from the page (<script type="application/json"
// id="page-data">, JSON-escaped by the server) and, for the grid polygons, from
// /api/v1/regions (same origin, session cookie). No inline script: the pages' CSP allows
// scripts from this server only.
(function () {
  'use strict';
  var el = document.getElementById('page-data');
  if (!el || typeof echarts === 'undefined') { return; }
  var data = JSON.parse(el.textContent);
  var lang = document.documentElement.lang === 'en' ? 'EN' : 'ZH';
  var colors = data.colors || ['#00E400', '#FFFF00', '#FF7E00', '#FF0000', '#99004C', '#7E0023'];
  var labels = data.labels || [];
  var levelPieces = colors.map(function (c, i) { return { value: i + 1, color: c, label: labels[i] || String(i + 1) }; });
  function init(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    var chart = echarts.init(node, null, { locale: lang });
    window.addEventListener('resize', function () { chart.resize(); });
    return chart;
  }

  var map = init('map');
  if (map) {
    fetch('/api/v1/regions?level=grid', { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        echarts.registerMap('grid', geo);
        var byCode = {};
        (data.grids || []).forEach(function (g) { byCode[g.code] = g; });
        var gridData = geo.features.map(function (f) {
          var g = byCode[f.properties.code];
          return { name: f.properties.code, gname: f.properties.name,
                   value: g ? g.level : null, raw: g ? g.value : null };
        });
        map.setOption({
          tooltip: { formatter: function (p) {
            var d = p.data || {};
            if (p.seriesType === 'scatter') { return d.label + '<br>' + data.metric + ': ' + (d.raw == null ? '—' : d.raw); }
            return (d.gname || p.name) + '<br>' + data.metric + ': ' + (d.raw == null ? '—' : d.raw);
          } },
          visualMap: { type: 'piecewise', seriesIndex: 0, pieces: levelPieces, left: 0, bottom: 0 },
          geo: { map: 'grid', nameProperty: 'code', roam: true, itemStyle: { areaColor: '#eee', borderColor: '#666' } },
          series: [
            { type: 'map', geoIndex: 0, nameProperty: 'code', data: gridData },
            { type: 'scatter', coordinateSystem: 'geo', symbolSize: 14,
              data: (data.stations || []).map(function (s) {
                return { name: s.code, label: s.name + ' ' + s.code, raw: s.value,
                         value: [s.lon, s.lat, s.level],
                         itemStyle: { color: s.level ? colors[s.level - 1] : '#999', borderColor: '#000', borderWidth: 2 } };
              }) }
          ]
        });
        map.on('click', function (p) {
          if (p.seriesType === 'scatter' && p.data) { window.location.href = '/stations/' + encodeURIComponent(p.data.name); }
        });
      });
  }

  var hourly = init('hourly');
  if (hourly && data.hours) {
    hourly.setOption({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 60 },
      dataZoom: [{ type: 'inside' }, { type: 'slider' }],
      xAxis: { type: 'category', data: data.hours.map(function (h) { return h.slice(5, 16).replace('T', ' '); }) },
      yAxis: [{ type: 'value', name: 'µg/m³' }, { type: 'value', name: 'CO mg/m³' }],
      series: data.series.map(function (s) {
        return { name: s.name, type: 'line', showSymbol: false, connectNulls: false,
                 yAxisIndex: s.name === 'CO' ? 1 : 0, data: s.data };
      })
    });
  }

  var cal = init('calendar');
  if (cal && data.calendar) {
    cal.setOption({
      tooltip: { formatter: function (p) { return p.value[0] + ' AQI ' + p.value[1]; } },
      visualMap: { type: 'piecewise', orient: 'horizontal', left: 'center', bottom: 0,
        pieces: [{ min: 0, max: 50 }, { min: 51, max: 100 }, { min: 101, max: 150 },
                 { min: 151, max: 200 }, { min: 201, max: 300 }, { min: 301 }]
          .map(function (p, i) { p.color = colors[i]; return p; }) },
      calendar: { range: [data.calendar.from, data.calendar.to], cellSize: ['auto', 18], top: 30, left: 40, right: 20,
                  dayLabel: { nameMap: lang === 'EN' ? 'EN' : 'ZH' }, monthLabel: { nameMap: lang === 'EN' ? 'EN' : 'ZH' } },
      series: [{ type: 'heatmap', coordinateSystem: 'calendar', data: data.calendar.days }]
    });
  }
})();
