// Must not compile: m.on() knows the events too.
import { mqtt } from 'ferromq';

new mqtt().on('Conected', () => {});
