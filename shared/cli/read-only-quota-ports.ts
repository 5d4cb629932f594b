/**
 * The quota loop's ports with every write refused: `quotas plan` must not file a request, follow a case
 * with a message or change a group, whatever the loop's dry-run handling does. The loop is run in dry run
 * as well; this guard is what makes "plan never files" hold even against a loop bug, and the refused calls
 * are kept so the command can say so and fail instead of printing a plan that is not what would happen.
 */
import { AutoScalingError, type AutoScalingPort } from '../ports/auto-scaling';
import { ServiceQuotasError, type ServiceQuotasPort } from '../ports/service-quotas';
import { type SupportCasesPort, SupportError } from '../ports/support-cases';

/**
 * @example
 * const guard = new WriteGuard();
 * const deps = { serviceQuotas: guard.serviceQuotas(live), ... };
 * await runQuotaTick(deps, region, { dryRun: true });
 * if (guard.refused.length > 0) throw new Error(`the loop tried to write: ${guard.refused.join(', ')}`);
 */
export class WriteGuard {
  /** The writes that were attempted and refused, as `Operation target`. */
  readonly refused: string[] = [];

  serviceQuotas(port: ServiceQuotasPort): ServiceQuotasPort {
    return {
      listServiceQuotas: (serviceCode) => port.listServiceQuotas(serviceCode),
      getServiceQuota: (serviceCode, quotaCode) => port.getServiceQuota(serviceCode, quotaCode),
      listRequestedChanges: (serviceCode, quotaCode) => port.listRequestedChanges(serviceCode, quotaCode),
      requestIncrease: async (serviceCode, quotaCode, desiredValue) => {
        const call = this.refuse(`RequestServiceQuotaIncrease ${serviceCode}/${quotaCode} ${desiredValue}`);
        throw new ServiceQuotasError('Forbidden', call);
      },
    };
  }

  autoScaling(port: AutoScalingPort): AutoScalingPort {
    return {
      describeGroups: (names, withTagKey) => port.describeGroups(names, withTagKey),
      describeScalingActivities: (groupName, since) => port.describeScalingActivities(groupName, since),
      setDesiredCapacity: async (groupName, desired) => {
        throw new AutoScalingError('Forbidden', this.refuse(`SetDesiredCapacity ${groupName} ${desired}`));
      },
      terminateInstance: async (instanceId) => {
        throw new AutoScalingError(
          'Forbidden',
          this.refuse(`TerminateInstanceInAutoScalingGroup ${instanceId}`),
        );
      },
    };
  }

  support(port: SupportCasesPort): SupportCasesPort {
    return {
      describeCases: (ids) => port.describeCases(ids),
      addCommunication: async (caseId) => {
        throw new SupportError('Forbidden', this.refuse(`AddCommunicationToCase ${caseId}`));
      },
    };
  }

  private refuse(call: string): string {
    this.refused.push(call);
    return `${call}: refused, quotas plan writes nothing`;
  }
}
