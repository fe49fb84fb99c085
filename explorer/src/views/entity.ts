import type { Answer } from '../api';
import { formatDate, h, link, notice, put } from '../dom';
import { humanize, label, labelFragment, withheldText, type LabelledNode } from '../entities';
import { badge, type Provenance, tlpMeaning } from '../markings';
import type { ViewContext } from '../view';
import { refusal, signInFirst } from './common';

const provenanceFields = 'provenance { tlp sourcePartner sharedWith grading externalRefs createdAt updatedAt }';

const entityQuery = `
query ExplorerEntity($id: ID!) {
  node(id: $id) {
    ...Label
    ... on Person { aliases gender birthYear ageBand ${provenanceFields} }
    ... on Business { registrationNumber sector website ${provenanceFields} }
    ... on Location { point { latitude longitude } ${provenanceFields} }
    ... on Incident { summary occurredTo exploitationTypes stage meansOfControl victimCount ${provenanceFields} }
    ... on Identifier { ${provenanceFields} }
    ... on Route { modes firstSeen lastSeen ${provenanceFields} }
    ... on Report { text language status approxLocation { latitude longitude } ${provenanceFields} }
  }
  network(id: $id, depth: 1, limit: 100) {
    truncated
    nodes { ...Label }
    edges { type from { id } to { id } role kind seq stopRole product since until share provenance { tlp sourcePartner grading } }
  }
}
${labelFragment}`;

type Value = string | number | boolean | null | undefined | string[] | { latitude: number; longitude: number };

interface EntityNode extends LabelledNode {
  provenance: Provenance;
  [field: string]: Value | Provenance;
}

export interface NetworkEdge {
  type: string;
  from: { id: string } | null;
  to: { id: string } | null;
  role?: string | null;
  kind?: string | null;
  seq?: number | null;
  stopRole?: string | null;
  product?: string | null;
  since?: string | null;
  until?: string | null;
  share?: number | null;
  provenance: { tlp: Provenance['tlp']; sourcePartner: string; grading?: string | null };
}

interface EntityData {
  node: EntityNode | null;
  network: { truncated: boolean; nodes: LabelledNode[]; edges: NetworkEdge[] } | null;
}

// The fields shown per type, in order: [field, label]. Personal data among them is shown as
// withheld when the API redacted it.
const fields: Record<string, Array<[string, string]>> = {
  Person: [['name', 'Name'], ['aliases', 'Aliases'], ['gender', 'Gender'], ['birthYear', 'Birth year'], ['ageBand', 'Age band'], ['nationality', 'Nationality']],
  Business: [['name', 'Name'], ['registrationNumber', 'Registration number'], ['jurisdiction', 'Jurisdiction'], ['sector', 'Sector (ISIC)'], ['website', 'Website']],
  Location: [['name', 'Name'], ['locationKind', 'Kind'], ['countryCode', 'Country'], ['point', 'Point']],
  Incident: [['title', 'Title'], ['summary', 'Summary'], ['occurredFrom', 'From'], ['occurredTo', 'To'], ['exploitationTypes', 'Exploitation'], ['stage', 'Stage'], ['meansOfControl', 'Means of control'], ['victimCount', 'Victims']],
  Identifier: [['identifierKind', 'Kind'], ['value', 'Value']],
  Route: [['name', 'Name'], ['modes', 'Modes'], ['firstSeen', 'First seen'], ['lastSeen', 'Last seen']],
  Report: [['text', 'Text'], ['language', 'Language'], ['channel', 'Channel'], ['status', 'Status'], ['submittedAt', 'Submitted'], ['approxLocation', 'Approximate location']],
};

export async function entityView(context: ViewContext): Promise<void> {
  const id = context.params[0];
  document.title = 'Entity · traffikgraph explorer';
  context.main.dataset.view = 'entity';
  if (!context.session) return signInFirst(context, 'Entity pages');
  const answer = await context.api.query<EntityData>('ExplorerEntity', entityQuery, { id });
  const node = answer.data?.node;
  if (!node) {
    put(context.main, h('h1', {}, 'Entity'), answer.errors.length > 0 ? refusal(answer, 'graph:read') : notice('info', 'Nothing with this id is visible to you.'));
    context.ready();
    return;
  }
  const name = label(node, answer.redacted, 'node');
  document.title = `${name} · traffikgraph explorer`;
  put(context.main, 
    h('p', { class: 'kicker' }, humanize(node.__typename)),
    h('h1', {}, name, ' ', badge(node.provenance.tlp)),
    h('p', { class: 'actions' },
      link(`/network/${encodeURIComponent(id)}`, 'Network view'),
      node.__typename === 'Business' ? [' · ', link(`/supply-chain/${encodeURIComponent(id)}`, 'Supply chain and risk')] : null),
    h('div', { class: 'columns' },
      h('section', { 'aria-labelledby': 'properties-heading' }, h('h2', { id: 'properties-heading' }, 'Properties'), propertyList(node, answer)),
      h('section', { 'aria-labelledby': 'provenance-heading' }, h('h2', { id: 'provenance-heading' }, 'Provenance'), provenanceList(node.provenance))),
    relationships(id, answer),
  );
  context.ready();
}

function propertyList(node: EntityNode, answer: Answer<EntityData>): HTMLElement {
  return h('dl', { class: 'properties' },
    (fields[node.__typename] ?? []).map(([field, name]) => {
      const withheld = answer.redacted.has(`node.${field}`);
      return [h('dt', {}, name), h('dd', withheld ? { class: 'withheld', 'data-withheld': field } : {}, withheld ? withheldText : show(node[field] as Value))];
    }));
}

function show(value: Value): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.map((v) => humanize(String(v))).join(', ') : '—';
  if (typeof value === 'object') return `${value.latitude.toFixed(4)}, ${value.longitude.toFixed(4)}`;
  return String(value);
}

export function provenanceList(provenance: Provenance): HTMLElement {
  return h('dl', { class: 'properties' },
    h('dt', {}, 'Marking'), h('dd', {}, badge(provenance.tlp), ` seen by ${tlpMeaning[provenance.tlp]}`),
    h('dt', {}, 'Source partner'), h('dd', {}, provenance.sourcePartner),
    provenance.tlp === 'RED' ? [h('dt', {}, 'Shared with'), h('dd', {}, provenance.sharedWith?.join(', ') || 'no one else')] : null,
    h('dt', {}, 'Grading'), h('dd', {}, provenance.grading ?? 'not graded'),
    h('dt', {}, 'External refs'), h('dd', {}, provenance.externalRefs?.length ? h('ul', { class: 'plain' }, provenance.externalRefs.map((ref) => h('li', {}, h('code', {}, ref)))) : '—'),
    h('dt', {}, 'Created'), h('dd', {}, formatDate(provenance.createdAt)),
    h('dt', {}, 'Updated'), h('dd', {}, formatDate(provenance.updatedAt)));
}

export function edgeDetails(edge: NetworkEdge): string {
  const parts = [
    edge.role && humanize(edge.role), edge.kind && humanize(edge.kind), edge.stopRole && `${humanize(edge.stopRole)} stop ${edge.seq ?? ''}`.trim(),
    edge.product, edge.since && `since ${edge.since}`, edge.until && `until ${edge.until}`, typeof edge.share === 'number' && `${Math.round(edge.share * 100)} %`,
  ].filter(Boolean);
  return parts.join(', ');
}

function relationships(id: string, answer: Answer<EntityData>): HTMLElement {
  const network = answer.data?.network;
  const section = h('section', { 'aria-labelledby': 'relationships-heading' }, h('h2', { id: 'relationships-heading' }, 'Relationships'));
  if (!network) {
    put(section, refusal(answer, 'graph:read') ?? notice('info', 'No relationships.'));
    return section;
  }
  const index = new Map(network.nodes.map((node, i) => [node.id, { node, path: `network.nodes[${i}]` }]));
  const byType = new Map<string, NetworkEdge[]>();
  for (const edge of network.edges) {
    if (edge.from?.id !== id && edge.to?.id !== id) continue;
    byType.set(edge.type, [...(byType.get(edge.type) ?? []), edge]);
  }
  if (byType.size === 0) put(section, notice('info', 'No relationships visible to you.'));
  for (const [type, edges] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    put(section, h('h3', {}, `${humanize(type)} (${edges.length})`), h('ul', { class: 'relationships', 'data-type': type },
      edges.map((edge) => {
        const outgoing = edge.from?.id === id;
        const other = index.get((outgoing ? edge.to?.id : edge.from?.id) ?? '');
        if (!other) return null;
        const details = edgeDetails(edge);
        return h('li', { 'data-id': other.node.id },
          h('span', { class: 'direction', title: outgoing ? 'from this entity' : 'to this entity' }, outgoing ? '→ ' : '← '),
          link(`/entity/${encodeURIComponent(other.node.id)}`, label(other.node, answer.redacted, other.path)),
          ` ${humanize(other.node.__typename)}`,
          other.node.provenance ? [' ', badge(other.node.provenance.tlp)] : null,
          h('span', { class: 'relationship-marking' }, ' · relationship ', badge(edge.provenance.tlp), ` from ${edge.provenance.sourcePartner}`, details ? ` · ${details}` : ''));
      })));
  }
  if (network.truncated) put(section, notice('info', 'More relationships lie beyond the first 100: open the network view to see them.'));
  return section;
}
