import { create } from 'zustand'
import { api, type ConnectionState } from '../api/client'

interface ConnectionStore {
  state: ConnectionState
}

/** The link to the host, as the status bar and the signed-out page need it. */
export const useConnection = create<ConnectionStore>(() => ({ state: api.connection }))

export function trackConnection(): () => void {
  return api.onConnection((state) => useConnection.setState({ state }))
}
