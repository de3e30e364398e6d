import Billing
import Runtime

await ServiceMain.run(BillingService.definition)
