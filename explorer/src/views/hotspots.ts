import { geoContains, geoEqualEarth, geoPath, geoGraticule10 } from 'd3-geo';
import { sankey, sankeyLinkHorizontal, type SankeyGraph } from 'd3-sankey';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';
import { h, link, notice, svg, put } from '../dom';
import { humanize } from '../entities';
import type { ViewContext } from '../view';
import { refusal } from './common';

const hotspotsQuery = `
query ExplorerHotspots($granularity: HotspotGranularity!, $from: Date, $to: Date, $types: [ExploitationType!]) {
  hotspots(granularity: $granularity, from: $from, to: $to, exploitationTypes: $types, first: 100) {
    location { id name countryCode point { latitude longitude } }
    incidents victims previousIncidents incidentChange victimChange
  }
}`;

const flowsQuery = `
query ExplorerRouteFlows($since: Date) {
  routeFlows(since: $since, first: 20) { originCountry destinationCountry routes incidents victims }
}`;

const exploitationTypes = ['SEXUAL_EXPLOITATION', 'FORCED_LABOUR', 'FORCED_CRIMINALITY', 'FORCED_MARRIAGE', 'DOMESTIC_SERVITUDE', 'ORGAN_REMOVAL', 'CHILD_SOLDIERING', 'BEGGING', 'OTHER'];

interface Hotspot {
  location: { id: string; name: string | null; countryCode: string | null; point: { latitude: number; longitude: number } | null };
  incidents: number;
  victims: number;
  previousIncidents: number;
  incidentChange: number;
  victimChange: number;
}
interface Flow { originCountry: string; destinationCountry: string; routes: number; incidents: number; victims: number }

const countries = feature(world as unknown as Topology, (world as unknown as Topology).objects.countries as GeometryCollection) as unknown as FeatureCollection<Geometry, { name: string }>;
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
const countryName = (code: string): string => {
  try {
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
};

// Sequential blues (ColorBrewer), lightest for the fewest incidents.
const classes = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];

export async function hotspotsView(context: ViewContext): Promise<void> {
  document.title = 'Hotspots · traffikgraph explorer';
  context.main.dataset.view = 'hotspots';
  await drawHotspots(context, context.main);
}

// drawHotspots is the hotspot page; the start page shows it to anonymous visitors, who get
// countries over CLEAR data only (the API's rule for callers without graph:read).
export async function drawHotspots(context: ViewContext, into: HTMLElement): Promise<void> {
  const signedIn = context.session !== null;
  // By default the 12 months up to the service's period end (or today), against the 12 before.
  const to = validDate(context.query.get('to')) ?? validDate(context.auth.config.periodEnd ?? null) ?? new Date().toISOString().slice(0, 10);
  const from = validDate(context.query.get('from')) ?? yearBefore(to);
  const granularity = signedIn && ['REGION', 'CITY'].includes(context.query.get('granularity') ?? '') ? context.query.get('granularity')! : 'COUNTRY';
  const type = exploitationTypes.includes(context.query.get('type') ?? '') ? context.query.get('type')! : '';

  const granularitySelect = h('select', { id: 'granularity', name: 'granularity' },
    ['COUNTRY', 'REGION', 'CITY'].map((g) => h('option', { value: g, selected: g === granularity, disabled: !signedIn && g !== 'COUNTRY' }, humanize(g))));
  const fromInput = h('input', { id: 'from', name: 'from', type: 'date', value: from, required: true });
  const toInput = h('input', { id: 'to', name: 'to', type: 'date', value: to, required: true });
  const typeSelect = h('select', { id: 'exploitation', name: 'type' }, h('option', { value: '' }, 'All exploitation types'),
    exploitationTypes.map((t) => h('option', { value: t, selected: t === type }, humanize(t))));
  const form = h('form', { class: 'hotspot-controls' },
    h('span', {}, h('label', { for: 'granularity' }, 'Granularity'), granularitySelect),
    h('span', {}, h('label', { for: 'from' }, 'From'), fromInput),
    h('span', {}, h('label', { for: 'to' }, 'To'), toInput),
    h('span', {}, h('label', { for: 'exploitation' }, 'Exploitation'), typeSelect),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ granularity: granularitySelect.value, from: fromInput.value, to: toInput.value });
    if (typeSelect.value) params.set('type', typeSelect.value);
    context.navigate(`/hotspots?${params}`);
  });
  put(into, h('h1', {}, signedIn ? 'Hotspots' : 'Public hotspots'),
    signedIn ? null : notice('info', 'Anonymous visitors see countries over public (TLP:CLEAR) data. Sign in for regions, cities, route flows and everything your partner may see.'),
    form);

  const answer = await context.api.query<{ hotspots: Hotspot[] | null }>('ExplorerHotspots', hotspotsQuery, { granularity, from, to, types: type ? [type] : null });
  const hotspots = answer.data?.hotspots;
  if (!hotspots) {
    put(into, refusal(answer, 'graph:read') ?? notice('error', 'No answer.'));
    context.ready();
    return;
  }
  const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
  put(into, h('p', { class: 'muted' }, `${hotspots.length} ${humanize(granularity).toLowerCase()} hotspots from ${from} to ${to}, against the ${days} days before.`),
    worldMap(hotspots, granularity), hotspotTable(hotspots, signedIn));
  if (signedIn) {
    const flows = h('section', { 'aria-labelledby': 'flows-heading', class: 'flows' }, h('h2', { id: 'flows-heading' }, `Route flows since ${from}`));
    put(into, flows);
    const flowAnswer = await context.api.query<{ routeFlows: Flow[] | null }>('ExplorerRouteFlows', flowsQuery, { since: from });
    const routeFlows = flowAnswer.data?.routeFlows;
    if (!routeFlows) put(flows, refusal(flowAnswer, 'graph:read') ?? notice('info', 'No route flows.'));
    else if (routeFlows.length === 0) put(flows, notice('info', 'No visible routes since then.'));
    else put(flows, flowDiagram(routeFlows), flowTable(routeFlows));
  }
  context.ready();
}

// yearBefore is the first day of the year that ends on day: 2025-06-01 gives 2024-06-02.
function yearBefore(day: string): string {
  const start = new Date(`${day}T00:00:00Z`);
  start.setUTCFullYear(start.getUTCFullYear() - 1);
  start.setUTCDate(start.getUTCDate() + 1);
  return start.toISOString().slice(0, 10);
}

function validDate(value: string | null): string | null {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

function worldMap(hotspots: Hotspot[], granularity: string): SVGSVGElement {
  const width = 960;
  const height = 500;
  const projection = geoEqualEarth().fitExtent([[8, 8], [width - 8, height - 8]], { type: 'Sphere' });
  const path = geoPath(projection);
  const most = Math.max(1, ...hotspots.map((spot) => spot.incidents));
  const classOf = (incidents: number): string => classes[Math.min(classes.length - 1, Math.floor((incidents / most) * classes.length - 1e-9))];
  // Country hotspots colour the country their point lies in (world-atlas names countries by
  // number, the API by ISO alpha-2, so the point is what joins them).
  const fill = new Map<Feature, Hotspot>();
  if (granularity === 'COUNTRY') {
    for (const spot of hotspots) {
      const point = spot.location.point;
      const country = point && countries.features.find((candidate) => geoContains(candidate, [point.longitude, point.latitude]));
      if (country) fill.set(country, spot);
    }
  }
  const map = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'world', role: 'img', 'aria-labelledby': 'map-title' },
    svg('title', { id: 'map-title' }, `World map of ${hotspots.length} hotspots; the table below lists them`),
    svg('path', { d: path({ type: 'Sphere' }) ?? '', class: 'sphere' }),
    svg('path', { d: path(geoGraticule10()) ?? '', class: 'graticule' }),
    svg('g', { class: 'countries' }, countries.features.map((country) => {
      const spot = fill.get(country);
      return svg('path', { d: path(country) ?? '', class: spot ? 'country hot' : 'country', fill: spot ? classOf(spot.incidents) : '#f0f0f0' },
        svg('title', {}, spot ? `${country.properties.name}: ${spot.incidents} incidents` : country.properties.name));
    })),
    svg('g', { class: 'symbols' }, [...hotspots].sort((a, b) => b.incidents - a.incidents).map((spot) => {
      const point = spot.location.point;
      const at = point ? projection([point.longitude, point.latitude]) : null;
      if (!at) return null;
      const grew = spot.incidentChange > 0;
      return svg('circle', { cx: at[0].toFixed(1), cy: at[1].toFixed(1), r: (3 + 17 * Math.sqrt(spot.incidents / most)).toFixed(1), class: grew ? 'symbol grew' : 'symbol', 'data-location': spot.location.id },
        svg('title', {}, `${spot.location.name}: ${spot.incidents} incidents (${signed(spot.incidentChange)} on the previous period), ${spot.victims} victims`));
    })));
  return map;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function hotspotTable(hotspots: Hotspot[], signedIn: boolean): HTMLElement {
  return h('section', { 'aria-labelledby': 'hotspot-table-heading' },
    h('h2', { id: 'hotspot-table-heading' }, 'Ranked'),
    h('p', { class: 'legend-line' }, 'Fewer ', classes.map((colour) => svg('svg', { class: 'swatch', viewBox: '0 0 12 12', 'aria-hidden': 'true' }, svg('rect', { width: 12, height: 12, fill: colour, stroke: '#57606a' }))), ' more incidents · circle area: incidents · red ring: more than the previous period'),
    h('table', { class: 'hotspots' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Location'), h('th', { scope: 'col' }, 'Country'), h('th', { scope: 'col' }, 'Incidents'), h('th', { scope: 'col' }, 'Change'), h('th', { scope: 'col' }, 'Victims'), h('th', { scope: 'col' }, 'Change'))),
      h('tbody', {}, hotspots.map((spot) => h('tr', { 'data-location': spot.location.id },
        h('td', {}, signedIn ? link(`/entity/${encodeURIComponent(spot.location.id)}`, spot.location.name ?? '—') : spot.location.name ?? '—'),
        h('td', {}, spot.location.countryCode ? countryName(spot.location.countryCode) : '—'),
        h('td', { class: 'number' }, spot.incidents),
        h('td', { class: spot.incidentChange > 0 ? 'number up' : 'number' }, signed(spot.incidentChange)),
        h('td', { class: 'number' }, spot.victims),
        h('td', { class: spot.victimChange > 0 ? 'number up' : 'number' }, signed(spot.victimChange)))))));
}

interface FlowNode { name: string }
interface FlowLink { source: number; target: number; value: number }

// flowDiagram is a Sankey of origin countries (left) to destination countries (right).
function flowDiagram(flows: Flow[]): SVGSVGElement {
  const width = 960;
  const height = Math.max(240, 26 * flows.length);
  const nodes: FlowNode[] = [];
  const index = new Map<string, number>();
  const nodeOf = (key: string, name: string): number => {
    if (!index.has(key)) {
      index.set(key, nodes.length);
      nodes.push({ name });
    }
    return index.get(key)!;
  };
  const links: FlowLink[] = flows.map((flow) => ({
    source: nodeOf(`from:${flow.originCountry}`, countryName(flow.originCountry)),
    target: nodeOf(`to:${flow.destinationCountry}`, countryName(flow.destinationCountry)),
    value: Math.max(1, flow.routes),
  }));
  const graph = sankey<FlowNode, FlowLink>().nodeWidth(12).nodePadding(8).extent([[180, 8], [width - 180, height - 8]])({ nodes: nodes.map((n) => ({ ...n })), links: links.map((l) => ({ ...l })) } as SankeyGraph<FlowNode, FlowLink>);
  const linkPath = sankeyLinkHorizontal();
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'sankey', role: 'img', 'aria-labelledby': 'sankey-title' },
    svg('title', { id: 'sankey-title' }, 'Route flows from origin countries (left) to destination countries (right); the table below lists them'),
    svg('g', { class: 'links' }, graph.links.map((l, i) => svg('path', { d: linkPath(l) ?? '', 'stroke-width': Math.max(1, l.width ?? 1).toFixed(1) },
      svg('title', {}, `${countryName(flows[i].originCountry)} → ${countryName(flows[i].destinationCountry)}: ${flows[i].routes} routes, ${flows[i].incidents} incidents`)))),
    svg('g', { class: 'nodes' }, graph.nodes.map((node) => {
      const left = (node.x0 ?? 0) < width / 2;
      return svg('g', {},
        svg('rect', { x: node.x0 ?? 0, y: node.y0 ?? 0, width: (node.x1 ?? 0) - (node.x0 ?? 0), height: Math.max(1, (node.y1 ?? 0) - (node.y0 ?? 0)) }),
        svg('text', { x: left ? (node.x0 ?? 0) - 6 : (node.x1 ?? 0) + 6, y: ((node.y0 ?? 0) + (node.y1 ?? 0)) / 2, 'text-anchor': left ? 'end' : 'start', 'dominant-baseline': 'middle' }, node.name));
    })));
}

function flowTable(flows: Flow[]): HTMLElement {
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Origin'), h('th', { scope: 'col' }, 'Destination'), h('th', { scope: 'col' }, 'Routes'), h('th', { scope: 'col' }, 'Incidents'), h('th', { scope: 'col' }, 'Victims'))),
    h('tbody', {}, flows.map((flow) => h('tr', {},
      h('td', {}, countryName(flow.originCountry)), h('td', {}, countryName(flow.destinationCountry)),
      h('td', { class: 'number' }, flow.routes), h('td', { class: 'number' }, flow.incidents), h('td', { class: 'number' }, flow.victims)))));
}

