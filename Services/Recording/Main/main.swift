import Recording
import Runtime

await ServiceMain.run(RecordingService.definition)
