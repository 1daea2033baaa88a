import { create } from 'zustand'
import type { EdgeDeployment, EdgeDevice, EdgePlacement } from '../../src-main/api/contract'
import { api } from '../api/client'

interface FleetState {
  devices: EdgeDevice[]
  /** False until the first answer: an empty fleet is only offered the demo once it is known to be empty. */
  loaded: boolean
  total: number
  deployments: EdgeDeployment[]
  /** The last placement asked for in the view, with its reasons. */
  placement: EdgePlacement | null
  placementError: string | null
  /** Device picked in the table or on the map. */
  selected: string | null
  /** Deployment whose replicas the map marks. */
  focus: string | null
  refresh(): Promise<void>
  select(id: string | null): void
  setFocus(name: string | null): void
  setPlacement(placement: EdgePlacement | null, error?: string | null): void
}

export const useFleet = create<FleetState>((set) => ({
  devices: [],
  loaded: false,
  total: 0,
  deployments: [],
  placement: null,
  placementError: null,
  selected: null,
  focus: null,
  async refresh() {
    const [list, deployments] = await Promise.all([api.call('edge.devices.list', {}), api.call('edge.deployments.list', {})])
    set({ devices: list.devices, total: list.total, deployments, loaded: true })
  },
  select: (id) => set({ selected: id }),
  setFocus: (name) => set({ focus: name }),
  setPlacement: (placement, error = null) => set({ placement, placementError: error }),
}))
