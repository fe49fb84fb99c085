import { h, link, notice, put } from '../dom';
import type { ViewContext } from '../view';
import { refusal, signInFirst } from './common';

const auditQuery = `
query ExplorerAudit($first: Int!, $after: String, $where: AuditEventWhere) {
  auditEvents(first: $first, after: $after, where: $where) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id at subject partner operationName operationType rootFields entityIds piiFields complete } }
  }
}`;

interface AuditEvent {
  id: string; at: string; subject: string | null; partner: string | null; operationName: string | null; operationType: string;
  rootFields: string[]; entityIds: string[]; piiFields: string[]; complete: boolean;
}
interface AuditData {
  auditEvents: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: AuditEvent }> } | null;
}

const pageSize = 25;

export async function auditView(context: ViewContext): Promise<void> {
  document.title = 'Audit · traffikgraph explorer';
  context.main.dataset.view = 'audit';
  if (!context.session) return signInFirst(context, 'The audit trail');
  const filters = { partner: context.query.get('partner') ?? '', subject: context.query.get('subject') ?? '', entityId: context.query.get('entity') ?? '' };
  const inputs = {
    partner: h('input', { id: 'audit-partner', name: 'partner', value: filters.partner, autocomplete: 'off' }),
    subject: h('input', { id: 'audit-subject', name: 'subject', value: filters.subject, autocomplete: 'off' }),
    entityId: h('input', { id: 'audit-entity', name: 'entity', value: filters.entityId, autocomplete: 'off' }),
  };
  const form = h('form', { class: 'audit-filters' },
    h('span', {}, h('label', { for: 'audit-partner' }, 'Partner'), inputs.partner),
    h('span', {}, h('label', { for: 'audit-subject' }, 'Subject'), inputs.subject),
    h('span', {}, h('label', { for: 'audit-entity' }, 'Entity id'), inputs.entityId),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (inputs.partner.value.trim()) params.set('partner', inputs.partner.value.trim());
    if (inputs.subject.value.trim()) params.set('subject', inputs.subject.value.trim());
    if (inputs.entityId.value.trim()) params.set('entity', inputs.entityId.value.trim());
    context.navigate(`/audit?${params}`);
  });
  put(context.main, h('h1', {}, 'Audit trail'),
    h('p', {}, 'Every response that carried personal data or AMBER, AMBER+STRICT or RED intelligence, and every write, newest first. It names entities and fields, never their values.'),
    form);
  const where: Record<string, string> = {};
  if (filters.partner) where.partner = filters.partner;
  if (filters.subject) where.subject = filters.subject;
  if (filters.entityId) where.entityId = filters.entityId;
  const after = context.query.get('after');
  const answer = await context.api.query<AuditData>('ExplorerAudit', auditQuery, { first: pageSize, after, where });
  const events = answer.data?.auditEvents;
  if (!events) {
    put(context.main, refusal(answer, 'audit:read') ?? notice('error', 'No answer.'));
    context.ready();
    return;
  }
  const next = new URLSearchParams(context.query);
  if (events.pageInfo.endCursor) next.set('after', events.pageInfo.endCursor);
  put(context.main, 
    h('p', { class: 'muted' }, `${events.totalCount} events${after ? ' (a later page)' : ''}.`),
    h('table', { class: 'audit' },
      h('thead', {}, h('tr', {}, ['When', 'Who', 'Partner', 'Operation', 'Fields', 'Entities', 'Personal data', 'Complete'].map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, events.edges.map(({ node }) => h('tr', {},
        h('td', {}, h('time', { datetime: node.at }, node.at.replace('T', ' ').slice(0, 19))),
        h('td', {}, node.subject ?? 'anonymous'),
        h('td', {}, node.partner ?? '—'),
        h('td', {}, `${node.operationType} ${node.operationName ?? ''}`.trim()),
        h('td', {}, node.rootFields.join(', ')),
        h('td', {}, node.entityIds.length === 0 ? '—' : [
          node.entityIds.slice(0, 3).map((id, i) => [i > 0 ? ', ' : '', link(`/entity/${encodeURIComponent(id)}`, id.slice(0, 8))]),
          node.entityIds.length > 3 ? ` and ${node.entityIds.length - 3} more` : '']),
        h('td', {}, node.piiFields.join(', ') || '—'),
        h('td', {}, node.complete ? 'yes' : 'no'))))),
    events.pageInfo.hasNextPage ? h('p', {}, link(`/audit?${next}`, 'Older events')) : null,
  );
  context.ready();
}
