// The engine-neutral SQL layer (values, rows, the connection protocol, the migrator) that
// this wrapper's Database implements; its users see both through one import.
@_exported import ESTSQL
