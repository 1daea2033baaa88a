import { AboutSection } from './settings/AboutSection'
import { ApiKeySection } from './settings/ApiKeySection'
import { BackupsSection } from './settings/BackupsSection'
import { DataFolderSection } from './settings/DataFolderSection'
import { ThemeSection } from './settings/ThemeSection'

export function SettingsView() {
  return (
    <div className="settings">
      <DataFolderSection />
      <ThemeSection />
      <ApiKeySection />
      <BackupsSection />
      <AboutSection />
    </div>
  )
}
