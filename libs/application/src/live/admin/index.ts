// Exports of the admin part of live use.
export {};
