package fhir

import "strings"

// r4ResourceTypes is every concrete resource type of FHIR R4 (4.0.1), from
// http://hl7.org/fhir/R4/resourcelist.html (the abstract Resource and
// DomainResource are not instantiable and are not listed).
var r4ResourceTypes = [...]string{
	"Account", "ActivityDefinition", "AdverseEvent", "AllergyIntolerance",
	"Appointment", "AppointmentResponse", "AuditEvent", "Basic", "Binary",
	"BiologicallyDerivedProduct", "BodyStructure", "Bundle",
	"CapabilityStatement", "CarePlan", "CareTeam", "CatalogEntry",
	"ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse",
	"ClinicalImpression", "CodeSystem", "Communication",
	"CommunicationRequest", "CompartmentDefinition", "Composition",
	"ConceptMap", "Condition", "Consent", "Contract", "Coverage",
	"CoverageEligibilityRequest", "CoverageEligibilityResponse",
	"DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric",
	"DeviceRequest", "DeviceUseStatement", "DiagnosticReport",
	"DocumentManifest", "DocumentReference", "EffectEvidenceSynthesis",
	"Encounter", "Endpoint", "EnrollmentRequest", "EnrollmentResponse",
	"EpisodeOfCare", "EventDefinition", "Evidence", "EvidenceVariable",
	"ExampleScenario", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag",
	"Goal", "GraphDefinition", "Group", "GuidanceResponse",
	"HealthcareService", "ImagingStudy", "Immunization",
	"ImmunizationEvaluation", "ImmunizationRecommendation",
	"ImplementationGuide", "InsurancePlan", "Invoice", "Library", "Linkage",
	"List", "Location", "Measure", "MeasureReport", "Media", "Medication",
	"MedicationAdministration", "MedicationDispense", "MedicationKnowledge",
	"MedicationRequest", "MedicationStatement", "MedicinalProduct",
	"MedicinalProductAuthorization", "MedicinalProductContraindication",
	"MedicinalProductIndication", "MedicinalProductIngredient",
	"MedicinalProductInteraction", "MedicinalProductManufactured",
	"MedicinalProductPackaged", "MedicinalProductPharmaceutical",
	"MedicinalProductUndesirableEffect", "MessageDefinition",
	"MessageHeader", "MolecularSequence", "NamingSystem", "NutritionOrder",
	"Observation", "ObservationDefinition", "OperationDefinition",
	"OperationOutcome", "Organization", "OrganizationAffiliation",
	"Parameters", "Patient", "PaymentNotice", "PaymentReconciliation",
	"Person", "PlanDefinition", "Practitioner", "PractitionerRole",
	"Procedure", "Provenance", "Questionnaire", "QuestionnaireResponse",
	"RelatedPerson", "RequestGroup", "ResearchDefinition",
	"ResearchElementDefinition", "ResearchStudy", "ResearchSubject",
	"RiskAssessment", "RiskEvidenceSynthesis", "Schedule", "SearchParameter",
	"ServiceRequest", "Slot", "Specimen", "SpecimenDefinition",
	"StructureDefinition", "StructureMap", "Subscription", "Substance",
	"SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein",
	"SubstanceReferenceInformation", "SubstanceSourceMaterial",
	"SubstanceSpecification", "SupplyDelivery", "SupplyRequest", "Task",
	"TerminologyCapabilities", "TestReport", "TestScript", "ValueSet",
	"VerificationResult", "VisionPrescription",
}

var resourceTypeSet = func() map[string]struct{} {
	m := make(map[string]struct{}, len(r4ResourceTypes))
	for _, t := range r4ResourceTypes {
		m[t] = struct{}{}
	}
	return m
}()

// IsResourceType reports whether t is a FHIR R4 resource type name. The check
// is exact (case-sensitive), as in FHIR JSON.
func IsResourceType(t string) bool {
	_, ok := resourceTypeSet[t]
	return ok
}

// ResourceTypes returns the FHIR R4 resource type names in alphabetical order.
func ResourceTypes() []string {
	out := make([]string, len(r4ResourceTypes))
	copy(out, r4ResourceTypes[:])
	return out
}

// suggestType returns the R4 type closest to an unknown name, or "" if none
// is close enough to be a plausible typo.
func suggestType(t string) string {
	if t == "" || len(t) > 64 {
		return ""
	}
	best, bestDist := "", 3 // accept at most 2 edits
	for _, c := range r4ResourceTypes {
		if strings.EqualFold(c, t) {
			return c
		}
		if d := editDistance(strings.ToLower(c), strings.ToLower(t), bestDist); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, or any value >=
// limit once it is known to be at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Catalog categories. They are coarse, stable strings: the wallet stores
// them and they are also used on the chain, so never rename one.
const (
	CategoryConditions    = "conditions"
	CategoryMedications   = "medications"
	CategoryAllergies     = "allergies"
	CategoryObservations  = "observations"
	CategoryImmunizations = "immunizations"
	CategoryProcedures    = "procedures"
	CategoryEncounters    = "encounters"
	CategoryDocuments     = "documents"
	CategoryPatient       = "patient"
	CategoryCareTeam      = "care-team"
	CategoryDevices       = "devices"
	CategoryCarePlans     = "care-plans"
	CategoryBilling       = "billing"
	CategoryOther         = "other"
)

// Categories returns every category, in the order a catalog lists them.
func Categories() []string {
	return []string{
		CategoryPatient, CategoryConditions, CategoryMedications,
		CategoryAllergies, CategoryObservations, CategoryImmunizations,
		CategoryProcedures, CategoryEncounters, CategoryDocuments,
		CategoryCarePlans, CategoryCareTeam, CategoryDevices,
		CategoryBilling, CategoryOther,
	}
}

var categoryOf = map[string]string{
	"Condition":           CategoryConditions,
	"FamilyMemberHistory": CategoryConditions,

	"Medication":               CategoryMedications,
	"MedicationRequest":        CategoryMedications,
	"MedicationStatement":      CategoryMedications,
	"MedicationAdministration": CategoryMedications,
	"MedicationDispense":       CategoryMedications,

	"AllergyIntolerance": CategoryAllergies,

	"Observation":       CategoryObservations,
	"DiagnosticReport":  CategoryObservations,
	"ImagingStudy":      CategoryObservations,
	"Specimen":          CategoryObservations,
	"MolecularSequence": CategoryObservations,

	"Immunization":               CategoryImmunizations,
	"ImmunizationEvaluation":     CategoryImmunizations,
	"ImmunizationRecommendation": CategoryImmunizations,

	"Procedure":      CategoryProcedures,
	"ServiceRequest": CategoryProcedures,

	"Encounter":     CategoryEncounters,
	"EpisodeOfCare": CategoryEncounters,
	"Appointment":   CategoryEncounters,

	"DocumentReference":     CategoryDocuments,
	"DocumentManifest":      CategoryDocuments,
	"Composition":           CategoryDocuments,
	"Binary":                CategoryDocuments,
	"Media":                 CategoryDocuments,
	"QuestionnaireResponse": CategoryDocuments,

	"Patient":       CategoryPatient,
	"RelatedPerson": CategoryPatient,
	"Person":        CategoryPatient,

	"Practitioner":     CategoryCareTeam,
	"PractitionerRole": CategoryCareTeam,
	"Organization":     CategoryCareTeam,
	"Location":         CategoryCareTeam,
	"CareTeam":         CategoryCareTeam,

	"Device":             CategoryDevices,
	"DeviceRequest":      CategoryDevices,
	"DeviceUseStatement": CategoryDevices,

	"CarePlan": CategoryCarePlans,
	"Goal":     CategoryCarePlans,

	"Claim":                       CategoryBilling,
	"ClaimResponse":               CategoryBilling,
	"ExplanationOfBenefit":        CategoryBilling,
	"Coverage":                    CategoryBilling,
	"CoverageEligibilityRequest":  CategoryBilling,
	"CoverageEligibilityResponse": CategoryBilling,
	"Invoice":                     CategoryBilling,
	"PaymentNotice":               CategoryBilling,
	"PaymentReconciliation":       CategoryBilling,
	"Account":                     CategoryBilling,
	"ChargeItem":                  CategoryBilling,
}

// CategoryOf returns the catalog category of a resource type; CategoryOther
// for every type without a more specific one (including unknown names).
func CategoryOf(resourceType string) string {
	if c, ok := categoryOf[resourceType]; ok {
		return c
	}
	return CategoryOther
}
