import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import { h, link, notice, replace, svg, put } from '../dom';
import { humanize, label, labelFragment, relationshipTypes, typeStyle, type LabelledNode } from '../entities';
import { badge } from '../markings';
import type { ViewContext } from '../view';
import { edgeDetails, type NetworkEdge } from './entity';
import { refusal, signInFirst } from './common';

const edgeFields = 'type from { id } to { id } role kind seq stopRole product since until share provenance { tlp sourcePartner }';

const networkQuery = `
query ExplorerNetwork($id: ID!, $depth: Int!, $types: [RelationshipType!], $limit: Int!) {
  network(id: $id, depth: $depth, relationshipTypes: $types, limit: $limit) {
    truncated nodes { ...Label } edges { ${edgeFields} }
  }
}
${labelFragment}`;

const pathQuery = `
query ExplorerShortestPath($from: ID!, $to: ID!, $types: [RelationshipType!]) {
  shortestPath(from: $from, to: $to, maxDepth: 6, relationshipTypes: $types) {
    length nodes { ...Label } relationships { ${edgeFields} }
  }
}
${labelFragment}`;

const tiesQuery = `
query ExplorerLinkedByIdentifiers($id: ID!) {
  linkedByIdentifiers(id: $id, first: 10) {
    sharedValues
    party { ...Label }
    identifiers { id kind }
  }
}
${labelFragment}`;

interface Subgraph { truncated: boolean; nodes: LabelledNode[]; edges: NetworkEdge[] }

const tlpEdgeColour: Record<string, string> = { CLEAR: '#8c959f', GREEN: '#2da44e', AMBER: '#bf8700', AMBER_STRICT: '#bf8700', RED: '#cf222e' };

export async function networkView(context: ViewContext): Promise<void> {
  const id = context.params[0];
  document.title = 'Network · traffikgraph explorer';
  context.main.dataset.view = 'network';
  if (!context.session) return signInFirst(context, 'The network view');
  const depth = clamp(Number(context.query.get('depth') ?? 2), 1, 4);
  const limit = clamp(Number(context.query.get('limit') ?? 250), 10, 250);
  const chosenTypes = (context.query.get('types') ?? '').split(',').filter((type) => (relationshipTypes as readonly string[]).includes(type));
  const answer = await context.api.query<{ network: Subgraph | null }>('ExplorerNetwork', networkQuery,
    { id, depth, limit, types: chosenTypes.length ? chosenTypes : null });
  const heading = h('h1', {}, 'Network');
  put(context.main, heading);
  const network = answer.data?.network;
  if (!network) {
    put(context.main, answer.errors.length ? refusal(answer, 'graph:read') : notice('info', 'Nothing with this id is visible to you.'));
    context.ready();
    return;
  }
  const known = new Map<string, LabelledNode>();
  const labels = new Map<string, string>();
  const remember = (nodes: LabelledNode[], redacted: Set<string>, prefix: string): void => nodes.forEach((node, i) => {
    known.set(node.id, node);
    labels.set(node.id, label(node, redacted, `${prefix}[${i}]`));
  });
  remember(network.nodes, answer.redacted, 'network.nodes');
  const centre = network.nodes[0];
  replace(heading, 'Network around ', link(`/entity/${encodeURIComponent(id)}`, labels.get(id) ?? id));
  document.title = `Network around ${labels.get(id)} · traffikgraph explorer`;

  put(context.main, controls(context, id, depth, limit, chosenTypes));
  const status = h('div', { class: 'network-status', role: 'status' },
    `${network.nodes.length} entities, ${network.edges.length} relationships within ${depth} ${depth === 1 ? 'hop' : 'hops'}. `,
    network.truncated ? h('strong', { class: 'truncated' }, `Truncated: more lies within ${depth} hops than the ${limit} shown. Narrow the relationship types or expand single nodes.`) : null);
  const canvas = h('div', { class: 'graph', id: 'graph', role: 'img', 'aria-label': `Graph of ${network.nodes.length} entities around ${labels.get(id)}; the table below lists them` });
  const panel = h('aside', { class: 'panel', 'aria-labelledby': 'panel-heading' }, h('h2', { id: 'panel-heading' }, 'Selection'), h('p', { class: 'muted' }, 'Select an entity in the graph or the table.'));
  put(context.main, status, h('div', { class: 'network' }, canvas, panel), legend());
  const table = h('section', { 'aria-labelledby': 'table-heading' });
  put(context.main, table);

  const cy = cytoscape({
    container: canvas,
    elements: elements(network.nodes, network.edges, labels, centre.id),
    minZoom: 0.1,
    maxZoom: 3,
    style: [
      { selector: 'node', style: { 'background-color': 'data(colour)', shape: 'data(shape)' as never, label: 'data(label)', 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 2, width: 14, height: 14, 'text-max-width': '90px', 'text-wrap': 'ellipsis', color: '#1b1f24', 'text-background-color': '#ffffff', 'text-background-opacity': 0.7, 'min-zoomed-font-size': 7 } },
      { selector: 'node.centre', style: { width: 26, height: 26, 'font-size': 12, 'font-weight': 'bold', 'border-width': 3, 'border-color': '#1b1f24' } },
      { selector: 'edge', style: { width: 1.2, 'line-color': 'data(colour)', 'target-arrow-color': 'data(colour)', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.6, 'curve-style': 'bezier', opacity: 0.7 } },
      { selector: 'edge.tie', style: { 'line-style': 'dashed', 'line-color': '#8250df', 'target-arrow-shape': 'none', width: 2 } },
      { selector: ':selected', style: { 'border-width': 3, 'border-color': '#0969da' } },
      { selector: '.on-path', style: { 'line-color': '#0969da', 'target-arrow-color': '#0969da', width: 4, opacity: 1, 'border-width': 4, 'border-color': '#0969da', 'z-index': 10 } },
      { selector: 'edge.hover', style: { label: 'data(type)', 'font-size': 8, color: '#1b1f24', 'text-background-color': '#ffffff', 'text-background-opacity': 0.9 } },
    ],
    // A grid until the force layout runs: at one point, Cytoscape.js could not draw the edges.
    layout: { name: 'grid' },
  });
  const pathEnds: { from?: string; to?: string } = {};
  runLayout(cy, () => {
    context.ready();
  });
  cy.on('mouseover', 'edge', (event) => event.target.addClass('hover'));
  cy.on('mouseout', 'edge', (event) => event.target.removeClass('hover'));
  cy.on('tap', 'node', (event) => select(event.target.id()));
  cy.on('dbltap', 'node', (event) => void expand(event.target.id()));
  drawTable();

  function select(nodeId: string): void {
    cy.elements().unselect();
    cy.getElementById(nodeId).select();
    const node = known.get(nodeId);
    if (!node) return;
    const isParty = node.__typename === 'Person' || node.__typename === 'Business';
    replace(panel,
      h('h2', { id: 'panel-heading' }, labels.get(nodeId)),
      h('p', {}, humanize(node.__typename), ' ', node.provenance ? badge(node.provenance.tlp) : null, node.provenance ? ` from ${node.provenance.sourcePartner}` : ''),
      h('ul', { class: 'plain actions' },
        h('li', {}, link(`/entity/${encodeURIComponent(nodeId)}`, 'Open the entity page')),
        h('li', {}, h('button', { type: 'button', class: 'secondary', onclick: () => void expand(nodeId) }, 'Expand: add its neighbours')),
        h('li', {}, h('button', { type: 'button', class: 'secondary', onclick: () => { pathEnds.from = nodeId; void showPath(); } }, 'Shortest path from here')),
        h('li', {}, h('button', { type: 'button', class: 'secondary', onclick: () => { pathEnds.to = nodeId; void showPath(); } }, 'Shortest path to here')),
        isParty ? h('li', {}, h('button', { type: 'button', class: 'secondary', onclick: () => void ties(nodeId) }, 'Linked by identifiers')) : null),
      h('div', { id: 'panel-result', role: 'status' }, pathEnds.from || pathEnds.to ? pathSummary() : null));
  }

  function pathSummary(): string {
    return `Path from ${pathEnds.from ? labels.get(pathEnds.from) : '(choose a start)'} to ${pathEnds.to ? labels.get(pathEnds.to) : '(choose an end)'}`;
  }

  function result(...children: Array<Node | string | null>): void {
    const target = panel.querySelector('#panel-result');
    if (target) replace(target, ...children);
  }

  async function expand(nodeId: string): Promise<void> {
    const more = await context.api.query<{ network: Subgraph | null }>('ExplorerNetwork', networkQuery,
      { id: nodeId, depth: 1, limit: 50, types: chosenTypes.length ? chosenTypes : null });
    if (!more.data?.network) {
      result(refusal(more, 'graph:read'));
      return;
    }
    const fresh = more.data.network.nodes.filter((node) => !known.has(node.id));
    remember(more.data.network.nodes, more.redacted, 'network.nodes');
    cy.add(elements(fresh, more.data.network.edges.filter((edge) => cy.getElementById(edgeId(edge)).empty()), labels, centre.id));
    placeAround(cy, nodeId, fresh);
    result(`Added ${fresh.length} entities around ${labels.get(nodeId)}${more.data.network.truncated ? ' (truncated at 50)' : ''}.`);
    drawTable();
  }

  async function showPath(): Promise<void> {
    result(pathSummary());
    if (!pathEnds.from || !pathEnds.to) return;
    cy.elements().removeClass('on-path');
    const answerPath = await context.api.query<{ shortestPath: { length: number; nodes: LabelledNode[]; relationships: NetworkEdge[] } | null }>(
      'ExplorerShortestPath', pathQuery, { from: pathEnds.from, to: pathEnds.to, types: chosenTypes.length ? chosenTypes : null });
    const path = answerPath.data?.shortestPath;
    if (!path) {
      result(pathSummary(), h('br'), answerPath.errors.length ? refusal(answerPath, 'graph:read') : 'No visible path of at most 6 relationships joins them.');
      return;
    }
    const fresh = path.nodes.filter((node) => !known.has(node.id));
    remember(path.nodes, answerPath.redacted, 'shortestPath.nodes');
    cy.add(elements(fresh, path.relationships.filter((edge) => cy.getElementById(edgeId(edge)).empty()), labels, centre.id));
    placeAround(cy, pathEnds.from, fresh);
    path.nodes.forEach((node) => cy.getElementById(node.id).addClass('on-path'));
    path.relationships.forEach((edge) => cy.getElementById(edgeId(edge)).addClass('on-path'));
    result(pathSummary(), h('br'), h('strong', { 'data-path-length': path.length }, `${path.length} relationships: `),
      path.nodes.map((node) => labels.get(node.id)).join(' → '));
    drawTable();
  }

  async function ties(nodeId: string): Promise<void> {
    const answerTies = await context.api.query<{ linkedByIdentifiers: Array<{ sharedValues: number; party: LabelledNode; identifiers: Array<{ id: string; kind: string }> }> | null }>(
      'ExplorerLinkedByIdentifiers', tiesQuery, { id: nodeId });
    const list = answerTies.data?.linkedByIdentifiers;
    if (!list) {
      result(refusal(answerTies, 'graph:read'));
      return;
    }
    const fresh = list.map((tie) => tie.party).filter((party) => !known.has(party.id));
    remember(list.map((tie) => tie.party), answerTies.redacted, 'linkedByIdentifiers.party');
    list.forEach((tie, i) => labels.set(tie.party.id, label(tie.party, answerTies.redacted, `linkedByIdentifiers[${i}].party`)));
    cy.add(elements(fresh, [], labels, centre.id));
    placeAround(cy, nodeId, fresh);
    for (const tie of list) {
      const tieId = `tie:${nodeId}:${tie.party.id}`;
      if (cy.getElementById(tieId).empty()) {
        cy.add({ group: 'edges', data: { id: tieId, source: nodeId, target: tie.party.id, type: `shares ${tie.sharedValues} identifier values`, colour: '#8250df' }, classes: 'tie' });
      }
    }
    result(list.length === 0 ? 'No visible person or business shares an identifier with it.' : h('ul', { class: 'plain' },
      list.map((tie, i) => h('li', {}, link(`/entity/${encodeURIComponent(tie.party.id)}`, label(tie.party, answerTies.redacted, `linkedByIdentifiers[${i}].party`)),
        ` shares ${tie.sharedValues} ${tie.sharedValues === 1 ? 'value' : 'values'} (${[...new Set(tie.identifiers.map((identifier) => humanize(identifier.kind)))].join(', ')})`))));
    drawTable();
  }

  function drawTable(): void {
    const rows = cy.nodes().map((node) => known.get(node.id())).filter((node): node is LabelledNode => node !== undefined);
    const wasOpen = table.querySelector('details')?.open ?? false;
    replace(table,
      h('h2', { id: 'table-heading' }, `The ${rows.length} entities in the graph`),
      h('details', { open: wasOpen }, h('summary', {}, 'Show them as a list'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Entity'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Marking'), h('th', { scope: 'col' }, 'Source'), h('th', { scope: 'col' }, 'Select'))),
          h('tbody', {}, rows.map((node) => h('tr', { 'data-id': node.id },
            h('td', {}, link(`/entity/${encodeURIComponent(node.id)}`, labels.get(node.id) ?? node.id)),
            h('td', {}, humanize(node.__typename)),
            h('td', {}, node.provenance ? badge(node.provenance.tlp) : '—'),
            h('td', {}, node.provenance?.sourcePartner ?? '—'),
            h('td', {}, h('button', { type: 'button', class: 'secondary small', onclick: () => select(node.id), 'aria-label': `Select ${labels.get(node.id)}` }, 'Select'))))))));
  }
}

function controls(context: ViewContext, id: string, depth: number, limit: number, chosen: string[]): HTMLElement {
  const depthSelect = h('select', { id: 'depth', name: 'depth' }, [1, 2, 3, 4].map((d) => h('option', { value: d, selected: d === depth }, `${d} ${d === 1 ? 'hop' : 'hops'}`)));
  const boxes = relationshipTypes.map((type) => h('input', { type: 'checkbox', id: `type-${type}`, value: type, checked: chosen.includes(type) }));
  const form = h('form', { class: 'network-controls' },
    h('label', { for: 'depth' }, 'Depth '), depthSelect,
    h('details', {}, h('summary', {}, chosen.length ? `Relationship types: ${chosen.map(humanize).join(', ')}` : 'Relationship types: all'),
      h('fieldset', {}, h('legend', {}, 'Only these relationship types (none checked: all)'),
        relationshipTypes.map((type, i) => h('span', { class: 'check' }, boxes[i], h('label', { for: `type-${type}` }, humanize(type)))))),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ depth: depthSelect.value });
    const types = boxes.filter((box) => box.checked).map((box) => box.value);
    if (types.length) params.set('types', types.join(','));
    if (limit !== 250) params.set('limit', String(limit));
    context.navigate(`/network/${encodeURIComponent(id)}?${params}`);
  });
  return form;
}

function legend(): HTMLElement {
  return h('section', { class: 'legend', 'aria-labelledby': 'legend-heading' },
    h('h2', { id: 'legend-heading' }, 'Legend'),
    h('ul', { class: 'plain inline' },
      Object.entries(typeStyle).map(([type, style]) => h('li', {}, svg('svg', { class: 'swatch', viewBox: '0 0 12 12', 'aria-hidden': 'true' }, svg('circle', { cx: 6, cy: 6, r: 5.5, fill: style.colour })), ` ${type}`)),
      h('li', {}, h('span', { class: 'swatch-line tlp-line-green' }), ' GREEN'),
      h('li', {}, h('span', { class: 'swatch-line tlp-line-amber' }), ' AMBER / AMBER+STRICT'),
      h('li', {}, h('span', { class: 'swatch-line tlp-line-red' }), ' RED'),
      h('li', {}, h('span', { class: 'swatch-line tlp-line-clear' }), ' CLEAR relationship'),
      h('li', {}, h('span', { class: 'swatch-line tie-line' }), ' shares identifiers'),
      h('li', {}, h('span', { class: 'swatch-line path-line' }), ' shortest path')),
    h('p', { class: 'muted' }, 'Double-click a node to expand it; hover a relationship for its type. Larger node: the entity asked about.'));
}

function edgeId(edge: NetworkEdge): string {
  return `${edge.type}:${edge.from?.id}:${edge.to?.id}`;
}

function elements(nodes: LabelledNode[], edges: NetworkEdge[], labels: Map<string, string>, centre: string): ElementDefinition[] {
  const definitions: ElementDefinition[] = nodes.map((node) => ({
    group: 'nodes',
    data: { id: node.id, label: labels.get(node.id) ?? node.id, colour: typeStyle[node.__typename]?.colour ?? '#57606a', shape: typeStyle[node.__typename]?.shape ?? 'ellipse' },
    classes: node.id === centre ? 'centre' : '',
  }));
  for (const edge of edges) {
    if (!edge.from || !edge.to) continue;
    const details = edgeDetails(edge);
    definitions.push({
      group: 'edges',
      data: { id: edgeId(edge), source: edge.from.id, target: edge.to.id, type: humanize(edge.type) + (details ? ` (${details})` : ''), colour: tlpEdgeColour[edge.provenance.tlp] },
    });
  }
  return definitions;
}

// placeAround sets entities just added on a circle around the one they were reached from, rather
// than all at one point.
function placeAround(cy: Core, anchorId: string, fresh: LabelledNode[]): void {
  const origin = cy.getElementById(anchorId).position();
  fresh.forEach((node, i) => {
    const angle = (2 * Math.PI * i) / fresh.length;
    cy.getElementById(node.id).position({ x: origin.x + 80 * Math.cos(angle), y: origin.y + 80 * Math.sin(angle) });
  });
}

// runLayout places the graph once (no animation) and reports when it is drawn.
function runLayout(cy: Core, drawn: () => void): void {
  const layout = cy.layout({ name: 'cose', animate: false, randomize: true, nodeRepulsion: () => 12000, idealEdgeLength: () => 50, numIter: 250, coolingFactor: 0.95, fit: true, padding: 20 } as cytoscape.LayoutOptions);
  layout.one('layoutstop', () => requestAnimationFrame(() => requestAnimationFrame(drawn)));
  layout.run();
}

function clamp(value: number, lowest: number, highest: number): number {
  return Number.isFinite(value) ? Math.min(highest, Math.max(lowest, Math.round(value))) : lowest;
}

