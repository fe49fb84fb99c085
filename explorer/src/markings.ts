import { h } from './dom';

export type Tlp = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';

export interface Provenance {
  tlp: Tlp;
  sourcePartner: string;
  sharedWith?: string[];
  grading?: string | null;
  externalRefs?: string[];
  createdAt?: string;
  updatedAt?: string;
}

// tlpLabel is the marking as FIRST's TLP 2.0 writes it.
export function tlpLabel(tlp: Tlp): string {
  return tlp === 'AMBER_STRICT' ? 'TLP:AMBER+STRICT' : `TLP:${tlp}`;
}

// badge shows a marking in TLP 2.0's colours (coloured text on black, explorer.css), with its
// meaning for a reader who does not know TLP by heart.
export function badge(tlp: Tlp): HTMLElement {
  return h('span', { class: `tlp tlp-${tlp.toLowerCase().replace('_', '-')}`, title: tlpMeaning[tlp] }, tlpLabel(tlp));
}

export const tlpMeaning: Record<Tlp, string> = {
  CLEAR: 'anyone, anonymous visitors included',
  GREEN: 'any signed-in partner',
  AMBER: "partners sharing a sharing group with the source",
  AMBER_STRICT: 'the source partner only',
  RED: 'the source partner and the partners it named',
};
