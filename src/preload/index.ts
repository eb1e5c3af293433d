// The bridge: exposes the control-plane contract to the renderer and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

export type { BridgeError, GatehouseBridge } from './bridge';
contextBridge.exposeInMainWorld('gatehouse', createBridge(ipcRenderer));
