import { h, link, notice, put } from '../dom';
import { humanize, label, labelFragment, type LabelledNode } from '../entities';
import { badge, type Tlp, tlpLabel } from '../markings';
import type { ViewContext } from '../view';
import { refusal, signInFirst } from './common';

const chainQuery = `
query ExplorerSupplyChain($id: ID!, $maxTier: Int!) {
  supplyChain(businessId: $id, maxTier: $maxTier) {
    truncated
    business { id name jurisdiction provenance { tlp sourcePartner } }
    tiers { tier businesses { id name jurisdiction sector provenance { tlp sourcePartner } } }
    edges { type from { id } to { id } product provenance { tlp sourcePartner } }
  }
  supplyChainRisk(businessId: $id, maxTier: $maxTier) {
    truncated
    suppliers {
      tier score
      supplier { id name provenance { tlp sourcePartner } }
      reasons { kind weight path { nodes { ...Label } relationships { type from { id } to { id } provenance { tlp } } } }
    }
  }
}
${labelFragment}`;

const businessSearch = `
query ExplorerFindBusiness($query: String!) {
  search(query: $query, types: [BUSINESS], first: 10) { node { ...Label } }
}
${labelFragment}`;

// The caller's own partner's businesses (viewer.businesses needs only supplychain:read, unlike
// listing or searching); those no visible business buys from are where its supply chains end.
const ownBusinesses = `
query ExplorerOwnBusinesses {
  viewer {
    businesses(first: 100) {
      totalCount
      edges { node { id name jurisdiction provenance { tlp sourcePartner } customers(first: 1) { business { id } } } }
    }
  }
}`;

interface OwnBusiness { id: string; name: string | null; jurisdiction: string | null; provenance: { tlp: Tlp; sourcePartner: string }; customers: Array<{ business: { id: string } }> | null }

interface ChainBusiness { id: string; name: string | null; jurisdiction?: string | null; sector?: string | null; provenance: { tlp: Tlp; sourcePartner: string } }
interface PathData { nodes: LabelledNode[]; relationships: Array<{ type: string; from: { id: string } | null; to: { id: string } | null; provenance: { tlp: Tlp } }> }
interface ChainData {
  supplyChain: { truncated: boolean; business: ChainBusiness; tiers: Array<{ tier: number; businesses: ChainBusiness[] }>; edges: Array<{ from: { id: string } | null; to: { id: string } | null; product: string | null; provenance: { tlp: Tlp } }> } | null;
  supplyChainRisk: { truncated: boolean; suppliers: Array<{ tier: number; score: number; supplier: ChainBusiness; reasons: Array<{ kind: string; weight: number; path: PathData }> }> } | null;
}

const tlpOrder: Tlp[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];

const reasonText: Record<string, string> = {
  INVOLVED_IN_INCIDENT: 'involved in an incident',
  CONTROLLED_BY_INVOLVED_PERSON: 'owned or directed by a person involved in an incident',
  SHARES_IDENTIFIER_WITH_INVOLVED_PARTY: 'shares an identifier with a party involved in an incident',
  LOCATED_IN_HOTSPOT: 'located in a current hotspot',
};

export async function supplyChainView(context: ViewContext): Promise<void> {
  document.title = 'Supply chain · traffikgraph explorer';
  context.main.dataset.view = 'supply-chain';
  if (!context.session) return signInFirst(context, 'Supply chains');
  const id = context.params[0];
  if (!id) return chooseBusiness(context);
  const maxTier = Math.min(6, Math.max(1, Number(context.query.get('tiers') ?? 3) || 3));
  const answer = await context.api.query<ChainData>('ExplorerSupplyChain', chainQuery, { id, maxTier });
  const chain = answer.data?.supplyChain;
  if (!chain) {
    put(context.main, h('h1', {}, 'Supply chain'), answer.errors.length ? refusal(answer, 'supplychain:read') : notice('info', 'No business with this id is visible to you.'));
    context.ready();
    return;
  }
  const risk = answer.data?.supplyChainRisk;
  // The report carries the most restrictive marking of anything it shows, on every printed page.
  const markings: Tlp[] = [chain.business.provenance.tlp, ...chain.tiers.flatMap((tier) => tier.businesses.map((b) => b.provenance.tlp)),
    ...chain.edges.map((edge) => edge.provenance.tlp),
    ...(risk?.suppliers ?? []).flatMap((s) => s.reasons.flatMap((r) => [...r.path.nodes.map((n) => n.provenance?.tlp ?? 'CLEAR'), ...r.path.relationships.map((rel) => rel.provenance.tlp)]))];
  const highest = markings.reduce<Tlp>((a, b) => (tlpOrder.indexOf(b) > tlpOrder.indexOf(a) ? b : a), 'CLEAR');
  const printed = new Date().toISOString().slice(0, 10);
  const banner = `${tlpLabel(highest)} · supply-chain report · ${printed} · for ${context.session.partner} (${context.session.subject})`;
  const name = chain.business.name ?? 'Business';
  document.title = `Supply chain of ${name} · traffikgraph explorer`;
  const suppliersOf = new Map<string, string[]>();
  for (const edge of chain.edges) {
    if (edge.from && edge.to) suppliersOf.set(edge.to.id, [...(suppliersOf.get(edge.to.id) ?? []), `${edge.from.id}|${edge.product ?? ''}`]);
  }
  const names = new Map<string, string>([[chain.business.id, name], ...chain.tiers.flatMap((tier) => tier.businesses.map((b): [string, string] => [b.id, b.name ?? b.id]))]);
  put(context.main, 
    h('div', { class: 'print-banner print-top', 'aria-hidden': 'true' }, banner),
    h('div', { class: 'print-banner print-bottom', 'aria-hidden': 'true' }, banner),
    h('p', { class: 'kicker' }, 'Supply chain'),
    h('h1', {}, name, ' ', badge(chain.business.provenance.tlp)),
    h('p', { class: 'report-meta' }, `Report of ${printed} for ${context.session.partner}. Marking of the report: `, badge(highest),
      ` (the most restrictive of what it shows). Up to ${maxTier} tiers upstream.`),
    h('p', { class: 'actions no-print' },
      h('button', { type: 'button', onclick: () => window.print() }, 'Print or save as PDF'), ' ',
      link(`/supply-chain/${encodeURIComponent(id)}?tiers=${Math.min(6, maxTier + 1)}`, 'One tier more')),
    chain.truncated ? notice('info', "Truncated: the service's bound on businesses cut the chain.") : null,
    riskSection(risk ?? null, answer.errors.length ? refusal(answer, 'supplychain:read') : null, answer.redacted),
    h('section', { 'aria-labelledby': 'tiers-heading' },
      h('h2', { id: 'tiers-heading' }, 'Tiers'),
      chain.tiers.length === 0 ? notice('info', 'No suppliers visible to you.') : null,
      chain.tiers.map((tier) => h('section', { class: 'tier', 'data-tier': tier.tier },
        h('h3', {}, `Tier ${tier.tier} · ${tier.businesses.length} ${tier.businesses.length === 1 ? 'supplier' : 'suppliers'}`),
        h('table', {},
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Supplier'), h('th', { scope: 'col' }, 'Jurisdiction'), h('th', { scope: 'col' }, 'Sector'), h('th', { scope: 'col' }, 'Supplies'), h('th', { scope: 'col' }, 'Marking'))),
          h('tbody', {}, tier.businesses.map((business) => h('tr', {},
            h('td', {}, link(`/supply-chain/${encodeURIComponent(business.id)}`, business.name ?? business.id)),
            h('td', {}, business.jurisdiction ?? '—'),
            h('td', {}, business.sector ?? '—'),
            h('td', {}, customersOf(business.id, chain.edges, names)),
            h('td', {}, badge(business.provenance.tlp), ` ${business.provenance.sourcePartner}`)))))))),
  );
  context.ready();
}

function customersOf(id: string, edges: NonNullable<ChainData['supplyChain']>['edges'], names: Map<string, string>): string {
  return edges.filter((edge) => edge.from?.id === id && edge.to).map((edge) => `${names.get(edge.to!.id) ?? 'a business'}${edge.product ? ` (${edge.product})` : ''}`).join('; ') || '—';
}

function riskSection(risk: ChainData['supplyChainRisk'], problem: HTMLElement | null, redacted: Set<string>): HTMLElement {
  const section = h('section', { 'aria-labelledby': 'risk-heading' }, h('h2', { id: 'risk-heading' }, 'Suppliers at risk'));
  if (!risk) {
    put(section, problem ?? notice('info', 'No risk answer.'));
    return section;
  }
  if (risk.suppliers.length === 0) {
    put(section, notice('info', 'No visible supplier within these tiers is tied to exploitation.'));
    return section;
  }
  put(section, h('ol', { class: 'risks' }, risk.suppliers.map((supplier, s) => h('li', { class: 'risk', 'data-id': supplier.supplier.id },
    h('h3', {}, supplier.supplier.name ?? supplier.supplier.id, ' ', badge(supplier.supplier.provenance.tlp)),
    h('p', {}, h('span', { class: 'score', 'data-score': supplier.score.toFixed(2) }, `Risk ${Math.round(supplier.score * 100)} / 100`), ` · tier ${supplier.tier}`),
    h('meter', { min: 0, max: 1, value: supplier.score, low: 0.3, high: 0.6, optimum: 0, 'aria-label': `Risk score of ${supplier.supplier.name}` }),
    h('ul', { class: 'reasons' }, supplier.reasons.map((reason, r) => h('li', {},
      h('strong', {}, reasonText[reason.kind] ?? humanize(reason.kind)), ` (+${reason.weight})`,
      pathDrawing(reason.path, redacted, `supplyChainRisk.suppliers[${s}].reasons[${r}].path`))))))));
  if (risk.truncated) put(section, notice('info', 'Truncated: more suppliers lie beyond the bound the service examines.'));
  return section;
}

// pathDrawing draws an evidence path as a row of entities joined by their relationships.
function pathDrawing(path: PathData, redacted: Set<string>, at: string): HTMLElement {
  const steps: Array<Node> = [];
  path.nodes.forEach((node, i) => {
    if (i > 0) {
      const rel = path.relationships[i - 1];
      const forward = rel?.from?.id === path.nodes[i - 1].id;
      steps.push(h('span', { class: 'path-rel' }, forward ? '' : '← ', humanize(rel?.type ?? ''), forward ? ' →' : ''));
    }
    steps.push(h('span', { class: `path-node type-${node.__typename.toLowerCase()}` }, label(node, redacted, `${at}.nodes[${i}]`),
      node.provenance ? [' ', badge(node.provenance.tlp)] : null));
  });
  return h('div', { class: 'path', role: 'group', 'aria-label': 'Evidence path' }, steps);
}

async function chooseBusiness(context: ViewContext): Promise<void> {
  const words = context.query.get('q');
  const own = words ? null : await context.api.query<{ viewer: { businesses: { totalCount: number; edges: Array<{ node: OwnBusiness }> } | null } | null }>('ExplorerOwnBusinesses', ownBusinesses);
  const businesses = own?.data?.viewer?.businesses;
  const chainEnds = (businesses?.edges ?? []).map((edge) => edge.node).filter((business) => (business.customers ?? []).length === 0);
  if (chainEnds.length === 1 && businesses?.totalCount === businesses?.edges.length) {
    // One business at the end of the partner's supply chains: that is the page its users want.
    context.navigate(`/supply-chain/${encodeURIComponent(chainEnds[0].id)}`, true);
    return;
  }
  const input = h('input', { id: 'business', name: 'business', required: true, autocomplete: 'off', value: context.query.get('q') ?? '' });
  const form = h('form', {},
    h('label', { for: 'business' }, "A business's name, or its id"),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Open')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    context.navigate(/^[0-9a-f-]{36}$/i.test(value) ? `/supply-chain/${encodeURIComponent(value)}` : `/supply-chain?q=${encodeURIComponent(value)}`);
  });
  put(context.main, h('h1', {}, 'Supply chains'),
    h('p', {}, 'The suppliers of a business tier by tier, each supplier tied to exploitation with its risk score, its reasons and the evidence.'),
    businesses ? ownList(context, businesses.edges.map((edge) => edge.node), chainEnds, businesses.totalCount) : null,
    form);
  if (words) {
    const answer = await context.api.query<{ search: Array<{ node: LabelledNode }> | null }>('ExplorerFindBusiness', businessSearch, { query: words });
    if (!answer.data?.search) {
      put(context.main, answer.errors[0]?.extensions?.code === 'FORBIDDEN'
        ? notice('forbidden', "Your sign-in may not search the graph (graph:read), only read supply chains: open a business's supply chain by its id, or by the link a colleague shares.")
        : refusal(answer, 'graph:read'));
    } else {
      put(context.main, h('ul', { class: 'results' }, answer.data.search.map((hit, i) => h('li', {},
        link(`/supply-chain/${encodeURIComponent(hit.node.id)}`, label(hit.node, answer.redacted, `search[${i}].node`)),
        hit.node.provenance ? [' ', badge(hit.node.provenance.tlp)] : null))));
    }
  }
  context.ready();
}

// ownList offers the partner's own businesses: first those at the end of its supply chains (no
// visible customer), then the others, which supply them.
function ownList(context: ViewContext, all: OwnBusiness[], chainEnds: OwnBusiness[], total: number): HTMLElement {
  const item = (business: OwnBusiness): HTMLElement => h('li', { 'data-id': business.id },
    link(`/supply-chain/${encodeURIComponent(business.id)}`, business.name ?? business.id), ' ', badge(business.provenance.tlp),
    business.jurisdiction ? ` ${business.jurisdiction}` : null);
  const suppliers = all.filter((business) => !chainEnds.includes(business));
  const partner = context.session?.partner ?? 'your partner';
  return h('section', { class: 'own-businesses', 'aria-labelledby': 'own-heading' },
    h('h2', { id: 'own-heading' }, `Businesses of ${partner}`),
    all.length === 0 ? notice('info', `No business of ${partner} is visible to you: open a supply chain by a business's name or id below.`) : null,
    chainEnds.length > 0 ? [h('h3', {}, 'Your supply chains'), h('ul', { class: 'results chain-ends' }, chainEnds.map(item))] : null,
    suppliers.length > 0 ? h('details', {}, h('summary', {}, `${suppliers.length} more that supply others`), h('ul', { class: 'results' }, suppliers.map(item))) : null,
    total > all.length ? h('p', { class: 'muted' }, `The first ${all.length} of ${total}, by name.`) : null);
}
