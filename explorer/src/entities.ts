// What the views know of each entity type: the GraphQL fragment that names it, and how to show
// that name, with personal data the caller may not read shown as withheld, never as empty.

import type { Provenance } from './markings';

export const labelFragment = `
fragment Label on Node {
  __typename
  id
  ... on Person { name nationality provenance { tlp sourcePartner } }
  ... on Business { name jurisdiction provenance { tlp sourcePartner } }
  ... on Location { name locationKind: kind countryCode provenance { tlp sourcePartner } }
  ... on Incident { title occurredFrom provenance { tlp sourcePartner } }
  ... on Identifier { identifierKind: kind value provenance { tlp sourcePartner } }
  ... on Route { name provenance { tlp sourcePartner } }
  ... on Report { channel submittedAt provenance { tlp sourcePartner } }
}`;

export interface LabelledNode {
  __typename: string;
  id: string;
  name?: string | null;
  title?: string | null;
  locationKind?: string | null;
  identifierKind?: string | null;
  value?: string | null;
  channel?: string | null;
  submittedAt?: string | null;
  countryCode?: string | null;
  nationality?: string | null;
  jurisdiction?: string | null;
  occurredFrom?: string | null;
  provenance?: Provenance;
}

export const withheldText = 'withheld (needs graph:read:pii)';

// The fields a label reads that may be personal data.
const piiField: Record<string, string> = { Person: 'name', Identifier: 'value', Location: 'name' };

// label names a node; path is where the node sits in the answer, to look its redactions up.
export function label(node: LabelledNode, redacted: Set<string>, path: string): string {
  const field = piiField[node.__typename];
  const withheld = field !== undefined && redacted.has(`${path}.${field}`);
  switch (node.__typename) {
    case 'Person':
      return withheld ? `Person (name ${withheldText})` : node.name || 'Person without a name';
    case 'Identifier':
      return `${humanize(node.identifierKind ?? 'identifier')} ${withheld ? withheldText : node.value ?? ''}`.trim();
    case 'Location':
      return withheld ? `${humanize(node.locationKind ?? 'location')} (${withheldText})` : node.name || humanize(node.locationKind ?? 'location');
    case 'Incident':
      return node.title || 'Incident';
    case 'Report':
      return `Report via ${humanize(node.channel ?? 'unknown channel')}${node.submittedAt ? `, ${node.submittedAt.slice(0, 10)}` : ''}`;
    default:
      return node.name || node.__typename;
  }
}

export function humanize(value: string): string {
  const words = value.replace(/_/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// typeColour tells the types apart in the network view and its legend (colour-blind safe
// Okabe-Ito palette; the shape tells them apart too).
export const typeStyle: Record<string, { colour: string; shape: string }> = {
  Person: { colour: '#0072B2', shape: 'ellipse' },
  Business: { colour: '#E69F00', shape: 'round-rectangle' },
  Location: { colour: '#009E73', shape: 'diamond' },
  Incident: { colour: '#D55E00', shape: 'triangle' },
  Identifier: { colour: '#CC79A7', shape: 'hexagon' },
  Route: { colour: '#56B4E9', shape: 'vee' },
  Report: { colour: '#777777', shape: 'rectangle' },
};

export const relationshipTypes = [
  'INVOLVED_IN', 'ASSOCIATE_OF', 'HAS_IDENTIFIER', 'WORKS_FOR', 'DIRECTOR_OF', 'OWNS', 'LIVES_AT', 'WITHIN',
  'STOP', 'SUPPLIES', 'LOCATED_AT', 'OCCURRED_AT', 'USED_ROUTE', 'ABOUT', 'EVIDENCES', 'MENTIONS',
] as const;

export const entityTypes = ['PERSON', 'BUSINESS', 'LOCATION', 'INCIDENT', 'IDENTIFIER', 'ROUTE', 'REPORT'] as const;
