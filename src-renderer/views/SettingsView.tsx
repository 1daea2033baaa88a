import { AboutSection } from './settings/AboutSection'
import { ApiKeySection } from './settings/ApiKeySection'
import { BackupsSection } from './settings/BackupsSection'
import { ChatSection } from './settings/ChatSection'
import { DataFolderSection } from './settings/DataFolderSection'
import { ThemeSection } from './settings/ThemeSection'

export function SettingsView() {
  return (
    <div className="settings" data-testid="settings-view">
      <DataFolderSection />
      <ThemeSection />
      <ApiKeySection />
      <ChatSection />
      <BackupsSection />
      <AboutSection />
    </div>
  )
}
