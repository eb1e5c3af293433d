// The bridge: exposes the control-plane contract to the renderer and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import type { ControlMethod, ControlParams, ControlResult } from '../shared/contract';

const api = {
  call: <M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> => ipcRenderer.invoke('control:call', method, params),
};

export type GatehouseBridge = typeof api;
contextBridge.exposeInMainWorld('gatehouse', api);
