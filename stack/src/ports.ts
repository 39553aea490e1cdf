/** Preferred local ports; each falls back to a free port when taken. 0 = any free port. */
export interface StackPorts {
  readonly host: number;
  readonly workerControl: number;
  readonly workerBridge: number;
  readonly simulator: number;
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
  readonly cosmos: number;
}

export const DEFAULT_PORTS: StackPorts = {
  host: 7071,
  workerControl: 7081,
  workerBridge: 7082,
  simulator: 7090,
  blob: 10000,
  queue: 10001,
  table: 10002,
  cosmos: 8081,
};

/** Every port 0: what tests use. */
export const ANY_PORTS: StackPorts = {
  host: 0,
  workerControl: 0,
  workerBridge: 0,
  simulator: 0,
  blob: 0,
  queue: 0,
  table: 0,
  cosmos: 0,
};
